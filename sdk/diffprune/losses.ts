// Classification losses and predictions for the heads. A two-group attribute gets one logit and a
// binary cross-entropy (as the reference does); more classes get a softmax cross-entropy.

import * as tf from "@tensorflow/tfjs-core";

/** Outputs a head needs for `classes` classes: one logit for two, else one per class. */
export const outputsFor = (classes: number) => (classes === 2 ? 1 : classes);

/** Mean softmax cross-entropy: logits [B, L], labels [B] (class indices). */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const logp = tf.logSoftmax(logits); // [B, L]
    const picked = tf.sum(tf.mul(logp, tf.oneHot(tf.cast(labels, "int32"), logits.shape[1])), 1); // [B]
    return tf.neg(tf.mean(picked)) as tf.Scalar; // []
  });
}

/** Mean binary cross-entropy on logits x [B] with targets y [B] in {0, 1}, computed stably. */
export function binaryCrossEntropy(x: tf.Tensor1D, y: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const yf = tf.cast(y, "float32"); // [B]
    // max(x, 0) - x y + log(1 + exp(-|x|))
    const l = tf.add(tf.sub(tf.relu(x), tf.mul(x, yf)), tf.log1p(tf.exp(tf.neg(tf.abs(x))))); // [B]
    return tf.mean(l) as tf.Scalar; // []
  });
}

/** The loss of one head's logits [B, outputsFor(classes)] against labels [B]. */
export function headLoss(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() =>
    logits.shape[1] === 1 ? binaryCrossEntropy(tf.squeeze(logits, [1]) as tf.Tensor1D, labels) : crossEntropy(logits, labels),
  );
}

/** Predicted classes from logits [B, n] (one logit: > 0 is class 1). */
export function predictions(logits: tf.Tensor2D): Int32Array {
  return tf.tidy(() => {
    const p = logits.shape[1] === 1 ? tf.cast(tf.greater(tf.squeeze(logits, [1]), 0), "int32") : tf.argMax(logits, 1); // [B]
    return p.dataSync() as Int32Array;
  });
}

/** Per example, the class most heads predict; a tie goes to the smallest class (as torch.mode). preds: [K][B]. */
export function majorityVote(preds: readonly ArrayLike<number>[]): Int32Array {
  const B = preds[0]?.length ?? 0;
  const out = new Int32Array(B);
  for (let b = 0; b < B; b++) {
    const counts = new Map<number, number>();
    for (const p of preds) counts.set(p[b], (counts.get(p[b]) ?? 0) + 1);
    let best = -1;
    let bestCount = 0;
    for (const [c, n] of counts) if (n > bestCount || (n === bestCount && c < best)) [best, bestCount] = [c, n];
    out[b] = best;
  }
  return out;
}
