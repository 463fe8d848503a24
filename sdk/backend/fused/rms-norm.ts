// RMSNorm as one kernel and one gradient kernel: y = x r w with r = 1 / sqrt(mean(x^2) + eps) over
// the last axis (the composite: Square, Mean, Add, Rsqrt, Multiply, Multiply, and about twelve
// kernels backward). Backward, with g = dy w per row:
//   dx = r g - x r^3 mean(g x),   dw = sum over rows of dy x r.
import * as tf from "@tensorflow/tfjs-core";
import { simdKernels } from "../simd/index.js";
import { alloc, offset } from "../wasm-kernels/heap.js";
import { f32, fusedReady, registerGrad, registerWasm, runKernel } from "./kernel.js";

export const RMS_NORM = "StillroomRmsNorm";
export const RMS_NORM_GRAD = "StillroomRmsNormGrad";

/** rmsNorm(x [..., C], weight [C]) by the fused kernel, or null where it does not run (then use the composite). */
export function rmsNormFused(x: tf.Tensor, weight: tf.Tensor1D, eps: number): tf.Tensor | null {
  const C = x.shape[x.shape.length - 1];
  if (!fusedReady(RMS_NORM) || x.dtype !== "float32" || weight.dtype !== "float32" || weight.shape[0] !== C) return null;
  return runKernel<tf.Tensor>(RMS_NORM, { x, weight }, { eps });
}

const forward: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, weight } = inputs as { x: tf.TensorInfo; weight: tf.TensorInfo };
  const C = weight.shape[0]!;
  const out = alloc(backend, x.shape, "float32"); // [..., C]
  const rows = tf.util.sizeFromShape(x.shape) / C;
  simdKernels(backend).rmsnorm(offset(backend, x), offset(backend, weight), offset(backend, out), rows, C, (attrs as { eps: number }).eps);
  return out;
};

const backward: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, x, weight } = inputs as { dy: tf.TensorInfo; x: tf.TensorInfo; weight: tf.TensorInfo };
  const C = weight.shape[0]!;
  const dx = alloc(backend, x.shape, "float32"); // [..., C]
  const dw = alloc(backend, [C], "float32"); // [C], accumulated over rows
  f32(backend, dw).fill(0);
  const [o, rows] = [(t: tf.TensorInfo) => offset(backend, t), tf.util.sizeFromShape(x.shape) / C];
  simdKernels(backend).rmsnorm_grad(o(dy), o(x), o(weight), o(dx), o(dw), rows, C, (attrs as { eps: number }).eps);
  return [dx, dw];
};

export function registerRmsNorm(): void {
  registerWasm(RMS_NORM, forward);
  registerWasm(RMS_NORM_GRAD, backward);
  registerGrad({
    kernelName: RMS_NORM,
    inputsToSave: ["x", "weight"],
    gradFunc: (dy, saved, attrs) => {
      const [x, weight] = saved as [tf.Tensor, tf.Tensor];
      const [dx, dw] = runKernel<tf.Tensor[]>(RMS_NORM_GRAD, { dy: dy as tf.Tensor, x, weight }, attrs);
      return { x: () => dx!, weight: () => dw! };
    },
  });
}
