// Cast for wasm without a copy when the dtype does not change. tfjs's gradients cast their operands
// to float32 whatever they are (Multiply's and RealDiv's gradients, ~90 times per training step of a
// 4-layer model), and the stock wasm kernel copies the data each time. A cast to the same dtype
// shares the buffer and counts the reference, as Identity does.
import type * as tf from "@tensorflow/tfjs-core";

interface RefCounting {
  incRef(dataId: object): void;
}

export function castKernel(stock: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { dtype } = args.attrs as { dtype: tf.DataType };
    if (x.dtype !== dtype || dtype === "string") return stock(args);
    (args.backend as unknown as RefCounting).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype };
  };
}
