// SwiGLU's gating, h = silu(g) u = g sigmoid(g) u, as one kernel and one gradient kernel (the
// composite: Sigmoid, Multiply, Multiply, and nine kernels backward), one pass each. Backward,
// with s = sigmoid(g):
//   du = dh g s,   dg = dh u s (1 + g (1 - s)).
import * as tf from "@tensorflow/tfjs-core";
import { simdKernels } from "../simd/index.js";
import { alloc, offset } from "../wasm-kernels/heap.js";
import { fusedReady, registerGrad, registerWasm, runKernel } from "./kernel.js";

export const SWIGLU = "StillroomSwiGLU";
export const SWIGLU_GRAD = "StillroomSwiGLUGrad";

/** silu(gate) * up (same shapes) by the fused kernel, or null where it does not run. */
export function swigluFused(gate: tf.Tensor, up: tf.Tensor): tf.Tensor | null {
  if (!fusedReady(SWIGLU) || gate.dtype !== "float32" || up.dtype !== "float32" || !tf.util.arraysEqual(gate.shape, up.shape)) return null;
  return runKernel<tf.Tensor>(SWIGLU, { gate, up });
}

const forward: tf.KernelFunc = ({ inputs, backend }) => {
  const { gate, up } = inputs as { gate: tf.TensorInfo; up: tf.TensorInfo };
  const out = alloc(backend, gate.shape, "float32"); // [..., F]
  const o = (t: tf.TensorInfo) => offset(backend, t);
  simdKernels(backend).swiglu(o(gate), o(up), o(out), tf.util.sizeFromShape(gate.shape));
  return out;
};

const backward: tf.KernelFunc = ({ inputs, backend }) => {
  const { dh, gate, up } = inputs as { dh: tf.TensorInfo; gate: tf.TensorInfo; up: tf.TensorInfo };
  const dg = alloc(backend, gate.shape, "float32"); // [..., F]
  const du = alloc(backend, gate.shape, "float32"); // [..., F]
  const o = (t: tf.TensorInfo) => offset(backend, t);
  simdKernels(backend).swiglu_grad(o(dh), o(gate), o(up), o(dg), o(du), tf.util.sizeFromShape(gate.shape));
  return [dg, du];
};

export function registerSwiglu(): void {
  registerWasm(SWIGLU, forward);
  registerWasm(SWIGLU_GRAD, backward);
  registerGrad({
    kernelName: SWIGLU,
    inputsToSave: ["gate", "up"],
    gradFunc: (dh, saved) => {
      const [gate, up] = saved as [tf.Tensor, tf.Tensor];
      const [dg, du] = runKernel<tf.Tensor[]>(SWIGLU_GRAD, { dh: dh as tf.Tensor, gate, up });
      return { gate: () => dg!, up: () => du! };
    },
  });
}
