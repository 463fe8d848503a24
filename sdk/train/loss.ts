// Next-token cross-entropy with an ignore index, as Hugging Face computes it: logits at position t
// predict labels[t + 1]; labels equal to -100 (and the last position) contribute nothing.

import * as tf from "@tensorflow/tfjs-core";
import { crossEntropyFused } from "../backend/fused/index.js";
import { ArgumentError } from "../errors.js";

export const IGNORE_INDEX = -100;

/**
 * Checks labels as PyTorch's cross-entropy does: each an integer in [0, vocab) or the ignore index
 * -100. (A label of 999 or -1 would otherwise pick nothing and train nothing; 2.5 would be cut.)
 */
export function checkLabels(labels: number[][], vocab: number, where = ""): void {
  labels.forEach((row, b) => {
    row.forEach((t, i) => {
      if (t !== IGNORE_INDEX && !(Number.isInteger(t) && t >= 0 && t < vocab))
        throw new ArgumentError(`labels[${b}][${i}]`, t, `an integer in [0, ${vocab - 1}] or ${IGNORE_INDEX} (ignored)`, where);
    });
  });
}

/** Shifted targets [B, T] (target[t] = labels[t+1], last = ignore) and their 0/1 weights. */
export function shiftLabels(labels: number[][]): { targets: number[][]; weights: number[][] } {
  const targets = labels.map((r) => [...r.slice(1), IGNORE_INDEX]);
  const weights = targets.map((r) => r.map((t) => (t === IGNORE_INDEX ? 0 : 1)));
  return { targets: targets.map((r) => r.map((t) => (t === IGNORE_INDEX ? 0 : t))), weights };
}

/** Mean cross-entropy over the counted positions: logits [B, T, V], labels [B, T] (unshifted). */
export function causalLmLoss(logits: tf.Tensor3D, labels: number[][]): tf.Scalar {
  const [B, T, V] = logits.shape;
  if (labels.length !== B || labels.some((r) => r.length !== T))
    throw new Error(`causalLmLoss: labels must have shape [${B}, ${T}] like the logits' first two dimensions`);
  checkLabels(labels, V, "causalLmLoss");
  const { targets, weights } = shiftLabels(labels);
  const n = Math.max(
    1,
    weights.flat().reduce((a, b) => a + b, 0),
  );
  return tf.tidy(() => {
    const flat = tf.reshape(logits, [B * T, V]) as tf.Tensor2D; // [B*T, V]
    const tgt = tf.tensor1d(targets.flat(), "int32"); // [B*T]
    const w = tf.tensor1d(weights.flat(), "float32"); // [B*T]
    const fused = crossEntropyFused(flat, tgt, w, n); // one kernel where the backend has it
    if (fused) return fused;
    const logp = tf.logSoftmax(flat); // [B*T, V]
    const onehot = tf.oneHot(tgt, V); // [B*T, V]
    const picked = tf.sum(tf.mul(logp, onehot), -1); // [B*T]
    return tf.div(tf.neg(tf.sum(tf.mul(picked, w))), n) as tf.Scalar; // []
  });
}
