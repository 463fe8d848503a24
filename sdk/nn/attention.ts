// Causal scaled dot-product attention with grouped key/value heads (GQA), as pure functions.

import * as tf from "@tensorflow/tfjs-core";

/** Additive bias for masked scores (finite, so a fully masked row stays finite). */
export const MASKED = -1e9;

/**
 * Additive mask [B|1, 1, T, S]: query i (absolute position offset + i) sees key j when
 * j <= offset + i and keyMask[b, j] = 1. Null when nothing is masked (a single new token, no padding).
 */
export function attentionBias(T: number, S: number, offset: number, keyMask: tf.Tensor2D | null): tf.Tensor4D | null {
  if (!keyMask && T === 1 && S === offset + 1) return null;
  return tf.tidy(() => {
    const causal = tf.linalg.bandPart(tf.ones([T, S]), -1, offset); // [T, S] 1 where j <= offset + i
    let allowed: tf.Tensor = tf.reshape(causal, [1, 1, T, S]); // [1, 1, T, S]
    if (keyMask) {
      const B = keyMask.shape[0];
      allowed = tf.mul(allowed, tf.reshape(tf.cast(keyMask, "float32"), [B, 1, 1, S])); // [B, 1, T, S]
    }
    return tf.mul(tf.sub(1, allowed), MASKED) as tf.Tensor4D; // [B|1, 1, T, S] 0 or MASKED
  });
}

/**
 * softmax(q k^T / sqrt(D) + bias) v for q [B, H, T, D] and k, v [B, Hkv, S, D], H = Hkv * R.
 * Query head h reads key/value head floor(h / R), without materializing repeated k and v:
 * the R query heads of a group are stacked along the time axis.
 */
export function groupedAttention(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, bias: tf.Tensor4D | null): tf.Tensor4D {
  return tf.tidy(() => {
    const [B, H, T, D] = q.shape;
    const [, Hkv, S] = k.shape;
    const R = H / Hkv;
    const qg = tf.reshape(q, [B, Hkv, R * T, D]); // [B, Hkv, R*T, D]
    let att: tf.Tensor = tf.mul(tf.matMul(qg, k, false, true), 1 / Math.sqrt(D)); // [B, Hkv, R*T, S]
    if (bias) {
      att = tf.reshape(att, [B, Hkv, R, T, S]); // [B, Hkv, R, T, S]
      att = tf.add(att, tf.reshape(bias, [bias.shape[0], 1, 1, T, S])); // [B, Hkv, R, T, S]
      att = tf.reshape(att, [B, Hkv, R * T, S]); // [B, Hkv, R*T, S]
    }
    const p = tf.softmax(att, -1) as tf.Tensor4D; // [B, Hkv, R*T, S]
    const y = tf.matMul(p, v); // [B, Hkv, R*T, D]
    return tf.reshape(y, [B, H, T, D]) as tf.Tensor4D; // [B, H, T, D]
  });
}
