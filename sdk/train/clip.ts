// Gradient clipping by the global L2 norm over all gradients.

import * as tf from "@tensorflow/tfjs-core";

/** Scale grads so that their joint norm is at most maxNorm (0 = no clipping); returns the norm before. */
export function clipByGlobalNorm(grads: Map<string, tf.Tensor>, maxNorm: number): { grads: Map<string, tf.Tensor>; norm: number } {
  const norm = tf.tidy(() => tf.sqrt(tf.addN([...grads.values()].map((g) => tf.sum(tf.square(g)))))); // []
  const value = norm.dataSync()[0];
  norm.dispose();
  if (!(maxNorm > 0) || value <= maxNorm || !Number.isFinite(value)) return { grads, norm: value };
  const scale = maxNorm / (value + 1e-6);
  const out = new Map<string, tf.Tensor>();
  for (const [k, g] of grads) {
    out.set(k, tf.mul(g, scale));
    g.dispose();
  }
  return { grads: out, norm: value };
}
