// The AdamW update of one parameter as one kernel (the composite: about fourteen kernels per
// parameter, so ~500 on a small model, each a pass over the parameter's memory):
//   m' = b1 m + (1 - b1) g,   v' = b2 v + (1 - b2) g^2,
//   p' = p (1 - lr wd) - lr (m' / c1) / (sqrt(v' / c2) + eps),   c1 = 1 - b1^t, c2 = 1 - b2^t.
// Returns new tensors (tfjs tensors are immutable; the caller assigns them to its variables).
import * as tf from "@tensorflow/tfjs-core";
import { simdKernels } from "../simd/index.js";
import { alloc, offset } from "../wasm-kernels/heap.js";
import { fusedReady, registerWasm, runKernel } from "./kernel.js";

export const ADAMW = "StillroomAdamW";

export interface AdamWStep {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** bias corrections 1 - beta^t */
  c1: number;
  c2: number;
}

/** [p', m', v'] by the fused kernel, or null where it does not run. */
export function adamwFused(p: tf.Tensor, m: tf.Tensor, v: tf.Tensor, g: tf.Tensor, s: AdamWStep): [tf.Tensor, tf.Tensor, tf.Tensor] | null {
  const same = (t: tf.Tensor) => t.dtype === "float32" && tf.util.arraysEqual(t.shape, p.shape);
  if (!fusedReady(ADAMW) || !same(p) || !same(m) || !same(v) || !same(g)) return null;
  return runKernel<tf.Tensor[]>(ADAMW, { p, m, v, g }, s) as [tf.Tensor, tf.Tensor, tf.Tensor];
}

const update: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { p, m, v, g } = inputs as Record<"p" | "m" | "v" | "g", tf.TensorInfo>;
  const { lr, beta1, beta2, eps, weightDecay, c1, c2 } = attrs as unknown as AdamWStep;
  const outs = [alloc(backend, p.shape, "float32"), alloc(backend, p.shape, "float32"), alloc(backend, p.shape, "float32")];
  const o = (t: tf.TensorInfo) => offset(backend, t);
  const n = tf.util.sizeFromShape(p.shape);
  const [p1, m1, v1] = outs.map(o) as [number, number, number];
  // hyper-parameters in the kernel's order: b1, 1 - b1, b2, 1 - b2, decay, lr / c1, 1 / c2, eps
  simdKernels(backend).adamw(
    o(p),
    o(m),
    o(v),
    o(g),
    p1,
    m1,
    v1,
    n,
    beta1,
    1 - beta1,
    beta2,
    1 - beta2,
    1 - lr * weightDecay,
    lr / c1,
    1 / c2,
    eps,
  );
  return outs;
};

export function registerAdamW(): void {
  registerWasm(ADAMW, update);
}
