// Merging experts that share a starting point (stage III). Every method works tensor by tensor on
// parameters of the same names; base is the model the experts were distilled from, tau_i =
// theta_i - base each expert's task vector, w_i the convex weights.
//
// - "average" (the paper's): theta = sum_i w_i theta_i.
// - "task-arithmetic" (Ilharco et al.): theta = base + scale * sum_i w_i tau_i. With convex weights
//   and scale 1 this is the average; scale > 1 extrapolates along the merged task vector.
// - "ties" (Yadav et al., TIES-merging): trim each tau_i to its `density` fraction of
//   largest-magnitude entries (per tensor, as mergekit does), elect each entry's sign as that of
//   sum_i w_i trim(tau_i), average only the entries that agree with it (weighted by w_i), and add
//   scale times the result to base.

import * as tf from "@tensorflow/tfjs-core";
import type { MergeMethod } from "./options.js";

export interface MergeSpec {
  method: MergeMethod;
  /** expert name -> convex weight */
  weights: Record<string, number>;
  scale: number;
  density: number;
}

/** trim(tau): tau where |tau| is among its `density` fraction of largest magnitudes, else 0. */
export function trimToDensity(tau: tf.Tensor, density: number): tf.Tensor {
  return tf.tidy(() => {
    const n = tau.size;
    const keep = Math.max(1, Math.ceil(density * n));
    if (keep >= n) return tf.clone(tau);
    const mag = tf.abs(tf.reshape(tau, [n])); // [n]
    const threshold = tf.min(tf.topk(mag, keep).values); // [] the keep-th largest magnitude
    return tf.mul(tau, tf.cast(tf.greaterEqual(tf.abs(tau), threshold), "float32")); // ties at the threshold all stay
  });
}

/** The merged tensor of one parameter: base [shape] and each expert's [shape], in `names` order. */
export function mergeTensor(base: tf.Tensor, experts: tf.Tensor[], w: number[], spec: MergeSpec): tf.Tensor {
  return tf.tidy(() => {
    if (spec.method === "average") return tf.addN(experts.map((x, i) => tf.mul(x, w[i]!)));
    const taus = experts.map((x) => tf.sub(x, base));
    if (spec.method === "task-arithmetic") return tf.add(base, tf.mul(tf.addN(taus.map((t, i) => tf.mul(t, w[i]!))), spec.scale));
    const trimmed = taus.map((t) => trimToDensity(t, spec.density));
    const sign = tf.sign(tf.addN(trimmed.map((t, i) => tf.mul(t, w[i]!)))); // elected sign per entry
    const agrees = trimmed.map((t) => tf.cast(tf.greater(tf.mul(tf.sign(t), sign), 0), "float32")); // 1 where tau_i is kept and agrees
    const num = tf.addN(trimmed.map((t, i) => tf.mul(tf.mul(t, agrees[i]!), w[i]!)));
    const den = tf.addN(agrees.map((a, i) => tf.mul(a, w[i]!)));
    const merged = tf.div(num, tf.maximum(den, 1e-12)); // 0 where no expert agrees (num is 0 there too)
    return tf.add(base, tf.mul(merged, spec.scale));
  });
}

/** Merged parameters by name (new tensors). Every expert must hold the base's names and shapes. */
export function mergeParameters(
  base: Map<string, tf.Tensor>,
  experts: Map<string, Map<string, tf.Tensor>>,
  spec: MergeSpec,
): Map<string, tf.Tensor> {
  const names = [...experts.keys()];
  const w = names.map((n) => spec.weights[n]!);
  const out = new Map<string, tf.Tensor>();
  for (const [p, b] of base) {
    const xs = names.map((n) => {
      const x = experts.get(n)!.get(p);
      if (!x || x.shape.join() !== b.shape.join())
        throw new Error(`mergeExperts: expert "${n}" has no parameter ${p} of shape [${b.shape}]`);
      return x;
    });
    out.set(p, mergeTensor(b, xs, w, spec));
  }
  return out;
}
