// Gradient clipping by the global L2 norm over all gradients.

import * as tf from "@tensorflow/tfjs-core";

/**
 * The most tensors one addN takes here. WebGPU binds each input and the output as a storage buffer,
 * and a shader may use 8 by default: tfjs's WebGPU addN of more inputs fails validation and
 * leaves its output unwritten (a model has far more than 7 weight tensors).
 */
const ADDN_INPUTS = 7;

/** The sum of same-shaped tensors, added in groups of at most ADDN_INPUTS. */
function sumOf(parts: tf.Tensor[]): tf.Tensor {
  let level = parts;
  while (level.length > 1) {
    const next: tf.Tensor[] = [];
    for (let i = 0; i < level.length; i += ADDN_INPUTS) {
      const group = level.slice(i, i + ADDN_INPUTS);
      next.push(group.length === 1 ? group[0]! : tf.addN(group));
    }
    level = next;
  }
  return level[0]!;
}

/** The joint L2 norm of all gradients, still on the device. */
export function globalNorm(grads: Map<string, tf.Tensor>): tf.Scalar {
  return tf.tidy(() => tf.sqrt(sumOf([...grads.values()].map((g) => tf.sum(tf.square(g))))) as tf.Scalar); // []
}

/** Scale grads so that their joint norm, already read as `norm`, is at most maxNorm (0 = no clipping). */
export function scaleToNorm(grads: Map<string, tf.Tensor>, norm: number, maxNorm: number): Map<string, tf.Tensor> {
  if (!(maxNorm > 0) || norm <= maxNorm || !Number.isFinite(norm)) return grads;
  const scale = maxNorm / (norm + 1e-6);
  const out = new Map<string, tf.Tensor>();
  for (const [k, g] of grads) {
    out.set(k, tf.mul(g, scale));
    g.dispose();
  }
  return out;
}

/** Scale grads so that their joint norm is at most maxNorm (0 = no clipping); returns the norm before. */
export function clipByGlobalNorm(grads: Map<string, tf.Tensor>, maxNorm: number): { grads: Map<string, tf.Tensor>; norm: number } {
  const norm = globalNorm(grads);
  const value = norm.dataSync()[0];
  norm.dispose();
  return { grads: scaleToNorm(grads, value, maxNorm), norm: value };
}
