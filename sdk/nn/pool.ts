// One vector per sequence from hidden states [B, T, C]: the last real token (a causal model's
// summary of the whole sequence) or the mean over real tokens. A classifier head (a task head, an
// adversary) reads this.

import * as tf from "@tensorflow/tfjs-core";
import { ArgumentError } from "../errors.js";

export const POOLINGS = ["last", "mean"] as const;
export type Pooling = (typeof POOLINGS)[number];

/**
 * h [B, T, C] -> [B, C]. `mask` [B, T] marks real tokens (1) and padding (0), left or right; null =
 * no padding. "last" takes each row's last real position, "mean" averages the real positions.
 */
export function pool(h: tf.Tensor3D, mask: tf.Tensor2D | null, how: Pooling = "last"): tf.Tensor2D {
  if (!POOLINGS.includes(how)) throw new ArgumentError("how", how, `one of ${POOLINGS.join(", ")}`, "pool");
  const [B, T] = h.shape;
  if (mask && (mask.shape[0] !== B || mask.shape[1] !== T)) {
    throw new ArgumentError("mask.shape", mask.shape, `[${B}, ${T}] like the hidden states`, "pool");
  }
  return tf.tidy(() => {
    const m = mask ? tf.cast(mask, "float32") : tf.ones([B, T]); // [B, T]
    if (how === "mean") {
      const sum = tf.sum(tf.mul(h, tf.expandDims(m, -1)), 1); // [B, C]
      return tf.div(sum, tf.maximum(tf.sum(m, 1, true), 1)) as tf.Tensor2D; // [B, C]
    }
    // the last real position: the largest t with mask 1 (argmax of t * mask, padding on either side)
    const idx = tf.argMax(tf.mul(m, tf.range(1, T + 1)), 1); // [B]
    const pick = tf.oneHot(idx, T); // [B, T]
    return tf.sum(tf.mul(h, tf.expandDims(pick, -1)), 1) as tf.Tensor2D; // [B, C]
  });
}
