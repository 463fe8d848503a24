// Identity for wasm without a copy. tfjs's engine runs Identity on every tensor it saves for the
// backward pass (Engine.clone), ~240 times per training step of a 2-layer model; the stock wasm
// kernel copies the data each time. Like the cpu backend's kernel and wasm's own Reshape, this one
// shares the buffer and counts the reference (wasm kernels never write into their inputs).
import type * as tf from "@tensorflow/tfjs-core";

interface RefCounting {
  incRef(dataId: object): void;
}

export function identityKernel(stock: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    if (x.dtype === "string") return stock(args);
    (args.backend as unknown as RefCounting).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
}
