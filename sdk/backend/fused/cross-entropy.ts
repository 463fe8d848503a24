// Softmax cross-entropy as one kernel and one gradient kernel, the loss of next-token prediction:
//   loss = -sum_i w_i log softmax(l_i)[t_i] / n
// for logits l [N, V], integer targets t [N] and weights w [N] (0 drops a position). The composite
// builds a [N, V] one-hot and runs LogSoftmax, Multiply, Sum, Multiply, Sum, Div, Neg (and their
// gradients). Rows are reduced around their maximum; the log of each row's sum is taken in
// JavaScript (wasm has no log). Backward:
//   dl_ij = dy w_i / n (softmax(l_i)_j - [j = t_i]).
// A target outside [0, V) selects nothing, as a one-hot row of zeros does: it adds 0 to the loss
// and gets no gradient.
import * as tf from "@tensorflow/tfjs-core";
import { simdKernels } from "../simd/index.js";
import { alloc, free, offset } from "../wasm-kernels/heap.js";
import { f32, fusedReady, i32, registerGrad, registerWasm, runKernel } from "./kernel.js";

export const CROSS_ENTROPY = "StillroomCrossEntropy";
export const CROSS_ENTROPY_GRAD = "StillroomCrossEntropyGrad";

/** The mean loss over weights (divided by n) with the fused kernel, or null where it does not run. */
export function crossEntropyFused(logits: tf.Tensor2D, targets: tf.Tensor1D, weights: tf.Tensor1D, n: number): tf.Scalar | null {
  const N = logits.shape[0];
  if (
    !fusedReady(CROSS_ENTROPY) ||
    logits.dtype !== "float32" ||
    targets.dtype !== "int32" ||
    weights.dtype !== "float32" ||
    targets.shape[0] !== N ||
    weights.shape[0] !== N
  ) {
    return null;
  }
  return runKernel<tf.Scalar>(CROSS_ENTROPY, { logits, targets, weights }, { n });
}

const forward: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { logits, targets, weights } = inputs as { logits: tf.TensorInfo; targets: tf.TensorInfo; weights: tf.TensorInfo };
  const [N, V] = logits.shape as [number, number];
  const stats = alloc(backend, [N, 2], "float32"); // [N, 2]: max and sum of exp(l - max) per row
  simdKernels(backend).cross_entropy_rows(offset(backend, logits), offset(backend, stats), N, V);
  const out = alloc(backend, [], "float32"); // []
  const L = f32(backend, logits),
    St = f32(backend, stats),
    Tg = i32(backend, targets),
    Wt = f32(backend, weights);
  let total = 0;
  for (let r = 0; r < N; r++) {
    const w = Wt[r]!,
      t = Tg[r]!;
    if (w !== 0 && t >= 0 && t < V) total += w * (St[2 * r]! + Math.log(St[2 * r + 1]!) - L[r * V + t]!);
  }
  f32(backend, out)[0] = total / (attrs as { n: number }).n;
  free(backend, stats);
  return out;
};

const backward: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, logits, targets, weights } = inputs as {
    dy: tf.TensorInfo;
    logits: tf.TensorInfo;
    targets: tf.TensorInfo;
    weights: tf.TensorInfo;
  };
  const [N, V] = logits.shape as [number, number];
  const out = alloc(backend, [N, V], "float32"); // [N, V]
  const scale = f32(backend, dy)[0]! / (attrs as { n: number }).n;
  const o = (t: tf.TensorInfo) => offset(backend, t);
  simdKernels(backend).cross_entropy_grad(o(logits), o(targets), o(weights), o(out), N, V, scale);
  return out;
};

export function registerCrossEntropy(): void {
  registerWasm(CROSS_ENTROPY, forward);
  registerWasm(CROSS_ENTROPY_GRAD, backward);
  registerGrad({
    kernelName: CROSS_ENTROPY,
    inputsToSave: ["logits", "targets", "weights"],
    gradFunc: (dy, saved, attrs) => {
      const [logits, targets, weights] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
      return {
        logits: () => runKernel<tf.Tensor>(CROSS_ENTROPY_GRAD, { dy: dy as tf.Tensor, logits, targets, weights }, attrs),
        targets: () => tf.zerosLike(targets), // integers: no gradient, as for gather's indices
        // rarely wanted (weights are constants in a loss): each position's own loss, by the composite
        weights: () => {
          const V = logits.shape[1]!;
          const picked = tf.sum(tf.mul(tf.logSoftmax(logits), tf.oneHot(targets as tf.Tensor1D, V)), -1); // [N]
          return tf.mul(dy as tf.Tensor, tf.div(tf.neg(picked), (attrs as { n: number }).n)); // [N]
        },
      };
    },
  });
}
