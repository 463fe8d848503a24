// The hard-concrete gate (Louizos, Welling & Kingma 2018) that Diff Pruning puts on every diff
// entry, with the constants of Guo et al. and the DiffPrune reference (temperature 1):
//
//   train: u ~ U(0, 1) clamped to [1e-4, 1 - 1e-4];  s = sigmoid(log u - log(1 - u) + log_alpha)
//   eval:  s = sigmoid(log_alpha)
//   z = clamp(s * (ZETA - GAMMA) + GAMMA, 0, 1)
//
// Stretching s to (GAMMA, ZETA) = (-1.5, 1.5) and clamping puts real probability mass on z = 0 and
// z = 1 exactly. The expected number of non-zero gates, the L0 penalty, is
// sum sigmoid(log_alpha - log(-GAMMA / ZETA)), which is sum sigmoid(log_alpha) for these constants.

import * as tf from "@tensorflow/tfjs-core";

export const GAMMA = -1.5;
export const ZETA = 1.5;
/** u is clamped to [U_EPS, 1 - U_EPS] so that log u and log(1 - u) stay finite */
export const U_EPS = 1e-4;
/** log(-GAMMA / ZETA): 0 for the symmetric stretch used here */
export const LOG_RATIO = Math.log(-GAMMA / ZETA);

const stretch = (s: tf.Tensor) => tf.clipByValue(tf.add(tf.mul(s, ZETA - GAMMA), GAMMA), 0, 1); // like s

/** z for given uniforms u (like logAlpha): the training sample. */
export function gateSample(logAlpha: tf.Tensor, u: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const uc = tf.clipByValue(u, U_EPS, 1 - U_EPS); // like logAlpha
    const s = tf.sigmoid(tf.add(tf.sub(tf.log(uc), tf.log1p(tf.neg(uc))), logAlpha)); // like logAlpha
    return stretch(s);
  });
}

/** z at evaluation: the gate without noise. */
export function gateDeterministic(logAlpha: tf.Tensor): tf.Tensor {
  return tf.tidy(() => stretch(tf.sigmoid(logAlpha))); // like logAlpha
}

/** The gate: a fresh sample (uniforms drawn from `seed`) while training, the deterministic value otherwise. */
export function gate(logAlpha: tf.Tensor, training: boolean, seed: number): tf.Tensor {
  if (!training) return gateDeterministic(logAlpha);
  return tf.tidy(() => gateSample(logAlpha, tf.randomUniform(logAlpha.shape, 0, 1, "float32", seed)));
}

/** The expected L0 norm of the gates: sum sigmoid(log_alpha - LOG_RATIO) (a scalar, differentiable). */
export function expectedL0(logAlpha: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.sum(tf.sigmoid(tf.sub(logAlpha, LOG_RATIO))) as tf.Scalar); // []
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const logit = (p: number) => Math.log(p / (1 - p));
/** P(clamped u <= t) */
const uniformCdf = (t: number) => (t < U_EPS ? 0 : t >= 1 - U_EPS ? 1 : t);

/**
 * The training gate's exact probabilities of z = 0 and z = 1 for one log_alpha:
 * z = 0 when s <= -GAMMA / (ZETA - GAMMA), i.e. u <= sigmoid(logit(-GAMMA / (ZETA - GAMMA)) - log_alpha);
 * z = 1 when s >= (1 - GAMMA) / (ZETA - GAMMA), likewise.
 */
export function gateProbabilities(logAlpha: number): { zero: number; one: number } {
  const s0 = -GAMMA / (ZETA - GAMMA);
  const s1 = (1 - GAMMA) / (ZETA - GAMMA);
  return {
    zero: uniformCdf(sigmoid(logit(s0) - logAlpha)),
    one: 1 - uniformCdf(sigmoid(logit(s1) - logAlpha)),
  };
}
