// Stage II's loss at the positions a batch counts (next label not -100), averaged over them:
//
//     L = gamma * CE + beta * KL(P_T || P_S)
//
// CE = -log p_S(y_t | x_<=t), p_S the student's full softmax. The KL compares the teacher's top-k
// tokens v_1..v_k (cached: log p_T(v_j) and the tail's log mass r_T = log(1 - sum_j p_T(v_j))) with
// the student's, in one of two exact forms:
//
// - "bucket": both distributions over k + 1 outcomes, the top-k tokens and one "rest" outcome
//   holding everything else: P_T = (p_T(v_1), .., p_T(v_k), 1 - sum_j p_T(v_j)), P_S alike from the
//   student's full softmax. The true KL of the two coarsened distributions (no larger than the full
//   KL); the student is also told how much mass the teacher leaves outside the top-k.
// - "renormalize": both renormalised over the top-k tokens: q_T(v_j) = p_T(v_j) / sum_i p_T(v_i),
//   q_S alike (a softmax of the student's logits over the k tokens). Says nothing about the tail.
//
// Either is a KL (entropy terms included): 0 when the student matches the teacher. With k equal to
// the vocabulary both are the full KL.

import * as tf from "@tensorflow/tfjs-core";
import type { BatchTargets } from "./targets.js";
import type { TopKTail } from "./options.js";

export interface DistillLossOptions {
  gamma: number;
  beta: number;
  tail: TopKTail;
}

/** Stands in for -inf in masked logits (finite, so that nothing becomes NaN). */
const MASKED_LOGIT = -1e9;

/** Per counted position: the KL term [n] and the cross-entropy [n] (tensors; call inside tf.tidy). */
export function distillTerms(logits: tf.Tensor3D, t: BatchTargets, tail: TopKTail): { kl: tf.Tensor1D; ce: tf.Tensor1D } {
  const [B, T, V] = logits.shape;
  const n = t.positions.length;
  const k = t.k;
  // entry c of row floor(i / width), for each column c = cols[i]: indices into the flat [n * V]
  const flat = (cols: ArrayLike<number>, width: number) =>
    tf.tensor1d(
      Int32Array.from(cols, (c, i) => Math.floor(i / width) * V + c),
      "int32",
    );
  const logp = tf.logSoftmax(tf.gather(tf.reshape(logits, [B * T, V]), tf.tensor1d(t.positions, "int32"))); // [n, V]
  const logpFlat = tf.reshape(logp, [n * V]); // [n * V]
  const ce = tf.neg(tf.gather(logpFlat, flat(t.next, 1))) as tf.Tensor1D; // [n]
  const sTop = tf.reshape(tf.gather(logpFlat, flat(t.ids, k)), [n, k]); // [n, k] student log p at the teacher's top-k
  const tTop = tf.tensor2d(t.logp, [n, k]); // [n, k]
  if (tail === "renormalize") {
    const tq = tf.sub(tTop, tf.logSumExp(tTop, -1, true)); // [n, k] log q_T
    const sq = tf.sub(sTop, tf.logSumExp(sTop, -1, true)); // [n, k] log q_S
    return { kl: tf.sum(tf.mul(tf.exp(tq), tf.sub(tq, sq)), -1) as tf.Tensor1D, ce }; // [n]
  }
  const top = tf.sum(tf.mul(tf.exp(tTop), tf.sub(tTop, sTop)), -1); // [n]
  if (k >= V) return { kl: top as tf.Tensor1D, ce }; // no tail
  const outside = new Float32Array(n * V); // 0 outside the top-k, MASKED_LOGIT on it
  for (let i = 0; i < n * k; i++) outside[Math.floor(i / k) * V + t.ids[i]!] = MASKED_LOGIT;
  const sRest = tf.logSumExp(tf.add(logp, tf.tensor2d(outside, [n, V])), -1); // [n] log of the student's mass outside
  const tRest = tf.tensor1d(t.logRest); // [n]
  const rest = tf.mul(tf.exp(tRest), tf.sub(tRest, sRest)); // [n]
  return { kl: tf.add(top, rest) as tf.Tensor1D, ce };
}

/** gamma * mean CE + beta * mean KL over the counted positions: a scalar. */
export function distillLoss(logits: tf.Tensor3D, t: BatchTargets, o: DistillLossOptions): tf.Scalar {
  return tf.tidy(() => {
    if (t.positions.length === 0) return tf.mul(tf.sum(logits), 0) as tf.Scalar; // nothing counted: zero, with a gradient path
    const { kl, ce } = distillTerms(logits, t, o.tail);
    return tf.add(tf.mul(tf.mean(ce), o.gamma), tf.mul(tf.mean(kl), o.beta)) as tf.Scalar;
  });
}
