// Slicing, padding and concatenating along the sequence axis (axis 2 of [B, H, S, ...rest]) through
// a rank-2 view [B * H, S * rest]: wasm's Slice, Concat and SplitV take a fast contiguous path for
// rank 2 and a generic one, 20 to 3,000 times slower, for rank 3 to 5 (measured: a [8,4,6,16,24]
// slice, 300 ms at rank 5, 15 ms at rank 4, 0.08 ms at rank 2). Their gradients (pad, split) follow.

import * as tf from "@tensorflow/tfjs-core";

/** [B, H, S, ...rest] -> the rank-2 view [B * H, S * prod(rest)] and the numbers to undo it. */
function view(x: tf.Tensor): { v: tf.Tensor2D; lead: number[]; S: number; rest: number[]; per: number } {
  const [B, H, S, ...rest] = x.shape as number[];
  const per = rest.reduce((a, b) => a * b, 1);
  return { v: tf.reshape(x, [B! * H!, S! * per]) as tf.Tensor2D, lead: [B!, H!], S: S!, rest, per };
}

/** Positions [from, from + n) of axis 2. */
export function sliceSeq<T extends tf.Tensor>(x: T, from: number, n: number): T {
  return tf.tidy(() => {
    const { v, lead, rest, per } = view(x);
    return tf.reshape(tf.slice(v, [0, from * per], [v.shape[0], n * per]), [...lead, n, ...rest]) as T;
  });
}

/** `before` and `after` positions of `value` around axis 2. */
export function padSeq<T extends tf.Tensor>(x: T, before: number, after: number, value = 0): T {
  if (before === 0 && after === 0) return x;
  return tf.tidy(() => {
    const { v, lead, S, rest, per } = view(x);
    const padded = tf.pad(
      v,
      [
        [0, 0],
        [before * per, after * per],
      ],
      value,
    );
    return tf.reshape(padded, [...lead, before + S + after, ...rest]) as T;
  });
}

/** The parts side by side along axis 2 (equal in every other axis). */
export function concatSeq<T extends tf.Tensor>(parts: T[]): T {
  if (parts.length === 1) return parts[0]!;
  return tf.tidy(() => {
    const views = parts.map(view);
    const { lead, rest } = views[0]!;
    const S = views.reduce((a, p) => a + p.S, 0);
    return tf.reshape(
      tf.concat(
        views.map((p) => p.v),
        1,
      ),
      [...lead, S, ...rest],
    ) as T;
  });
}
