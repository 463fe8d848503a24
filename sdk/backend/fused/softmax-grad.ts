// The gradient of Softmax over the last axis as one kernel: dx = y (dy - sum(dy y)) per row
// (tfjs's own gradient runs Multiply, Sum, Multiply, Sub). Attention probabilities [B, H, T, S] pass
// through it on every training step. Replaces tfjs's gradient for Softmax; where the fused kernel
// does not run (another backend, another axis, another dtype) the same composite as tfjs's runs.
import * as tf from "@tensorflow/tfjs-core";
import { simdKernels } from "../simd/index.js";
import { alloc, offset } from "../wasm-kernels/heap.js";
import { fusedReady, registerGrad, registerWasm, runKernel } from "./kernel.js";

export const SOFTMAX_GRAD = "StillroomSoftmaxGrad";

const backward: tf.KernelFunc = ({ inputs, backend }) => {
  const { dy, y } = inputs as { dy: tf.TensorInfo; y: tf.TensorInfo };
  const S = y.shape[y.shape.length - 1]!;
  const out = alloc(backend, y.shape, "float32"); // [..., S]
  const o = (t: tf.TensorInfo) => offset(backend, t);
  simdKernels(backend).softmax_grad(o(dy), o(y), o(out), tf.util.sizeFromShape(y.shape) / S, S);
  return out;
};

export function registerSoftmaxGrad(): void {
  registerWasm(SOFTMAX_GRAD, backward);
  registerGrad({
    kernelName: "Softmax",
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const [y] = saved as [tf.Tensor];
      const g = dy as tf.Tensor;
      const { dim } = attrs as unknown as { dim: number };
      const last = dim === -1 || dim === y.rank - 1;
      if (last && y.dtype === "float32" && g.dtype === "float32" && fusedReady(SOFTMAX_GRAD)) {
        return { logits: () => runKernel<tf.Tensor>(SOFTMAX_GRAD, { dy: g, y }) };
      }
      const dyTimesY = tf.mul(g, y);
      return { logits: () => tf.sub(dyTimesY, tf.mul(tf.sum(dyTimesY, [dim], true), y)) };
    },
  });
}
