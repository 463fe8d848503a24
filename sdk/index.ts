// The Stillroom SDK: the one public barrel. Nothing here imports the kernel.
import * as tf from "@tensorflow/tfjs-core";
import * as backend from "./backend/index.js";
import * as distill from "./distill/index.js";
import { registerChainedOps } from "./backend/chained-ops.js";
import { registerGradients } from "./nn/gradients.js";
import * as eva from "./eva/index.js";
import * as io from "./io/index.js";
import * as lora from "./lora/index.js";
import * as models from "./models-with-teacher.js";
import * as nn from "./nn/index.js";
import * as runtime from "./runtime/index.js";
import * as train from "./train/index.js";
import * as tasks from "./tasks/index.js";
import * as viz from "./viz/index.js";
import * as xlstm from "./xlstm/index.js";
import * as diffprune from "./diffprune/index.js";
import * as evaluation from "./eval/index.js";

// tfjs-core's Node entry leaves both of these to side-effect modules Node cannot load.
registerChainedOps();
registerGradients();
await backend.use("auto");

export { backend, distill, eva, io, lora, models, nn, runtime, tf, train, tasks, viz, xlstm };
export { diffprune };
// `eval` is a reserved word as a binding, not as an export name: sr.eval
export { evaluation as eval };
export { ArgumentError } from "./errors.js";
export const version = "0.1.0";
