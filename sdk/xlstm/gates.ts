// Gate pre-activations as the forms use them: the optional soft-cap, then log sigmoid of the
// forget gate (the forms work in log space throughout; exp(logsigmoid) is the forget gate itself).
//
// log sigmoid is -softplus(-x) from kernels with registered gradients, not tf.logSigmoid: that op's
// custom gradient holds its input in a closure, which an enclosing tf.tidy disposes before the
// backward pass runs (the gradient then reads a disposed tensor).

import * as tf from "@tensorflow/tfjs-core";

/** cap * tanh(x / cap): identity near 0, bounded by +-cap. */
export function softCap<T extends tf.Tensor>(x: T, cap: number): T {
  return tf.tidy(() => tf.mul(tf.tanh(tf.mul(x, 1 / cap)), cap) as T);
}

/** The (capped) input gate i~ and log sigmoid of the (capped) forget gate, same shapes as given. */
export function logGates<T extends tf.Tensor>(iPre: T, fPre: T, cap: number | null): { logI: T; logF: T } {
  const i = cap === null ? iPre : softCap(iPre, cap);
  const f = cap === null ? fPre : softCap(fPre, cap);
  return { logI: i, logF: logSigmoid(f) };
}

/** log sigmoid(x) = -softplus(-x), stable for large |x|. */
export function logSigmoid<T extends tf.Tensor>(x: T): T {
  return tf.tidy(() => tf.neg(tf.softplus(tf.neg(x))) as T);
}
