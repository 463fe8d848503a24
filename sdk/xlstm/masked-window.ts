// The sliding-window mask over a padded batch, as an additive bias: what the hybrid layer uses
// when an attention mask says some positions are padding (left padding from generate, right
// padding in training batches). Padding is treated as absent: query t of row b sees key s when
// both are real, s <= t, and s is within the window counted in real tokens, or among the row's
// first `sinks` real tokens.

import * as tf from "@tensorflow/tfjs-core";
import { MASKED } from "../nn/attention.js";

/**
 * @param mask rows [B][T] of 1 (real) and 0 (padding)
 * @returns [B, 1, T, T]: 0 where visible, MASKED elsewhere (a padded query sees nothing)
 */
export function maskedWindowBias(mask: ArrayLike<number>[], window: number, sinks: number): tf.Tensor4D {
  const B = mask.length;
  const T = mask[0]!.length;
  const bias = new Float32Array(B * T * T).fill(MASKED);
  for (let b = 0; b < B; b++) {
    const real: number[] = []; // real index of each position (-1 for padding)
    let n = 0;
    for (let t = 0; t < T; t++) real.push(mask[b]![t] ? n++ : -1);
    for (let t = 0; t < T; t++) {
      if (real[t]! < 0) continue;
      for (let s = 0; s <= t; s++) {
        const r = real[s]!;
        if (r >= 0 && (real[t]! - r < window || r < sinks)) bias[(b * T + t) * T + s] = 0;
      }
    }
  }
  return tf.tensor4d(bias, [B, 1, T, T]);
}

const read = new WeakMap<tf.Tensor, Float32Array[]>();

/** Rows of a [B, S] 0/1 mask tensor: one synchronous read per tensor, shared by every layer of a forward. */
export function maskRowsOf(keyMask: tf.Tensor2D): Float32Array[] {
  let rows = read.get(keyMask);
  if (!rows) {
    const [B, S] = keyMask.shape;
    const data = Float32Array.from(keyMask.dataSync());
    rows = Array.from({ length: B }, (_, b) => data.subarray(b * S, (b + 1) * S));
    read.set(keyMask, rows);
  }
  return rows;
}
