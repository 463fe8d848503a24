// The Stillroom SDK: the one public barrel. Nothing here imports the kernel.
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";

export { tf };
export const version = "0.1.0";
