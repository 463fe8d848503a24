// Segment sums of log forget gates: out[t, s] = sum_{r = s+1..t} x_r, the log decay from token s to
// token t, summed directly rather than as F[t] - F[s] from one cumsum. A long float32 cumsum F
// grows in magnitude and F[t] - F[s] loses the digits of a short segment (METHODS.md); a sum over the
// segment keeps them. Costs one cumsum over [T, T] beside the [T, T] products the caller already has.

import * as tf from "@tensorflow/tfjs-core";

/** [T, T] of 1 where col > row (the terms of a segment, in transposed layout). */
function strictlyUpper(T: number): tf.Tensor2D {
  const a = new Float32Array(T * T);
  for (let s = 0; s < T; s++) for (let t = s + 1; t < T; t++) a[s * T + t] = 1;
  return tf.tensor2d(a, [T, T]);
}

/** [T, T] of 0 where col <= row and -inf above (causal: token t sees s <= t). */
export function causalLogMask(T: number): tf.Tensor2D {
  const a = new Float32Array(T * T);
  for (let t = 0; t < T; t++) for (let s = t + 1; s < T; s++) a[t * T + s] = Number.NEGATIVE_INFINITY;
  return tf.tensor2d(a, [T, T]);
}

/**
 * x [..., T] -> [..., T, T] with out[..., t, s] = sum_{r=s+1..t} x[..., r] for s <= t (0 on the
 * diagonal) and -inf for s > t.
 */
export function segsum(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const T = x.shape[x.rank - 1]!;
    const lead = x.shape.slice(0, -1);
    const terms = tf.mul(tf.reshape(x, [...lead, 1, T]), strictlyUpper(T)); // [..., T(s), T(t)] x_t where t > s
    const sums = tf.cumsum(terms, x.rank); // [..., T(s), T(t)] sum_{s < r <= t} x_r
    const perm = [...lead.map((_, i) => i), x.rank, x.rank - 1];
    return tf.add(tf.transpose(sums, perm), causalLogMask(T)); // [..., T(t), T(s)]
  });
}
