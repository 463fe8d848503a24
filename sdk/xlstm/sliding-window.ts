// Sliding-window softmax attention with attention sinks: query t sees the `window` most recent
// positions (itself included, s > t - window) and the first `sinks` positions, nothing else. Grouped
// key/value heads as in sdk/nn (query head h reads kv head floor(h / (H / Hkv))).
//
// Over a sequence the queries go in blocks of `window`: block c's visible keys all lie in blocks
// c-1 and c, plus the sinks, so the scores are [S, sinks + 2 window] instead of [S, S]. Decoding keeps
// a bounded cache: the sink positions and the last `window` positions after them, sinks + window
// keys at most, whatever the context length.

import * as tf from "@tensorflow/tfjs-core";
import { groupedAttention, MASKED } from "../nn/attention.js";
import { ArgumentError } from "../errors.js";
import { badShape, expectShape, nonNegativeInteger, positiveInteger } from "./options.js";
import { padSeq, sliceSeq } from "./seq-ops.js";

export interface SlidingWindowOptions {
  /** Positions a query sees back to and including itself, W >= 1. */
  window: number;
  /** The first `sinks` positions, visible to every later query (the student uses 4). */
  sinks: number;
}

/** Keys and values a decoder keeps for sliding-window attention; at most sinks + window positions. */
export type SlidingWindowCache = {
  /** the first min(sinks, length) positions: [B, Hkv, <= sinks, D] */
  sinkK: tf.Tensor4D;
  sinkV: tf.Tensor4D;
  /** the latest positions after the sinks, at most `window`: [B, Hkv, <= window, D] */
  windowK: tf.Tensor4D;
  windowV: tf.Tensor4D;
  /** positions seen so far */
  length: number;
};

function resolve(fn: string, opts: SlidingWindowOptions): SlidingWindowOptions {
  if (!opts || typeof opts !== "object") throw new ArgumentError("options", opts, "{window, sinks}", fn);
  return { window: positiveInteger(fn, "window", opts.window), sinks: nonNegativeInteger(fn, "sinks", opts.sinks) };
}

function kvShapes(fn: string, q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, step: boolean): { B: number; H: number; Hkv: number; D: number } {
  const want = step ? "[B, H, D]" : "[B, H, S, D]";
  if (q?.rank !== (step ? 3 : 4)) badShape(fn, "q", q, want);
  const [B, H] = q.shape as [number, number];
  const D = q.shape[q.rank - 1]!;
  if (!k || k.rank !== q.rank) badShape(fn, "k", k, step ? "[B, Hkv, D]" : "[B, Hkv, S, D]");
  const Hkv = k.shape[1]!;
  const kShape = step ? [B, Hkv, D] : [B, Hkv, q.shape[2]!, D];
  expectShape(fn, "q", q, q.shape, want);
  expectShape(fn, "k", k, kShape, step ? "[B, Hkv, D]" : "[B, Hkv, S, D] (B, S, D as q)");
  expectShape(fn, "v", v, kShape, "the shape of k");
  if (H % Hkv !== 0)
    throw new ArgumentError("k.shape", k.shape, `Hkv (axis 1) dividing the ${H} query heads of q, so that they share kv heads evenly`, fn);
  return { B, H, Hkv, D };
}

/** Additive mask [NB, 1, W, sinks + 2W] of the blocked layout: 0 where visible, MASKED elsewhere. */
function blockMask(NB: number, W: number, P: number): tf.Tensor {
  const Kn = P + 2 * W;
  const a = new Float32Array(NB * W * Kn).fill(MASKED);
  for (let c = 0; c < NB; c++) {
    for (let r = 0; r < W; r++) {
      const t = c * W + r;
      const row = (c * W + r) * Kn;
      for (let j = 0; j < P; j++) if (j <= t - W) a[row + j] = 0; // a sink outside the window
      for (let j = 0; j < 2 * W; j++) {
        const s = (c - 1) * W + j;
        if (s >= 0 && s <= t && s > t - W) a[row + P + j] = 0; // inside the window
      }
    }
  }
  return tf.tensor(a, [NB, 1, W, Kn]);
}

/**
 * softmax(q K^T / sqrt(D) + mask) V over a sequence, the mask letting query t see positions
 * s <= t with s > t - window or s < sinks.
 *
 * @param q [B, H, S, D]
 * @param k [B, Hkv, S, D]
 * @param v [B, Hkv, S, D]
 * @returns [B, H, S, D]
 */
export function slidingWindowAttention(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, opts: SlidingWindowOptions): tf.Tensor4D {
  const fn = "slidingWindowAttention";
  const { window: W, sinks } = resolve(fn, opts);
  const { B, H, Hkv, D } = kvShapes(fn, q, k, v, false);
  const S = q.shape[2];
  const R = H / Hkv;
  if (S <= W) {
    // every earlier position is inside the window: plain causal attention
    return tf.tidy(() => {
      const causal = new Float32Array(S * S);
      for (let t = 0; t < S; t++) for (let s = t + 1; s < S; s++) causal[t * S + s] = MASKED;
      return groupedAttention(q, k, v, tf.tensor4d(causal, [1, 1, S, S])); // [B, H, S, D]
    });
  }
  const P = Math.min(sinks, S);
  const NB = Math.ceil(S / W);
  const Sp = NB * W;
  const Kn = P + 2 * W;
  return tf.tidy(() => {
    const blocks = (x: tf.Tensor4D) => {
      // rank-2 views throughout (see seq-ops.ts: wasm slices and concatenates rank 5 thousands of times slower)
      const xp = tf.reshape(padSeq(x, W, Sp - S), [B * Hkv, (NB + 1) * W * D]); // [B*Hkv, (NB+1)*W*D] an empty block first
      const block = (first: number) => tf.reshape(tf.slice(xp, [0, first * W * D], [B * Hkv, NB * W * D]), [B * Hkv * NB, W * D]); // [B*Hkv*NB, W*D]
      const parts = [block(0), block(1)]; // block c-1, block c
      if (P > 0) {
        // the sinks, repeated for every block
        const sinkRows = tf.tile(tf.reshape(sliceSeq(x, 0, P), [B * Hkv, P * D]), [1, NB]); // [B*Hkv, NB*P*D]
        parts.unshift(tf.reshape(sinkRows, [B * Hkv * NB, P * D]));
      }
      return tf.reshape(tf.concat(parts, 1), [B, Hkv, NB, P + 2 * W, D]); // [B, Hkv, NB, P+2W, D]
    };
    const keys = blocks(k); // [B, Hkv, NB, P+2W, D]
    const values = blocks(v); // [B, Hkv, NB, P+2W, D]
    // [B, H, Sp, D] -> [B, Hkv, NB, R*W, D]: the R query heads of a group side by side in each block
    const qp = tf.reshape(padSeq(q, 0, Sp - S), [B * Hkv, R, NB, W * D]); // [B*Hkv, R, NB, W*D]
    const qb = tf.reshape(R === 1 ? qp : tf.transpose(qp, [0, 2, 1, 3]), [B, Hkv, NB, R * W, D]); // [B, Hkv, NB, R*W, D]
    const scores = tf.mul(tf.matMul(qb, keys, false, true), 1 / Math.sqrt(D)); // [B, Hkv, NB, R*W, P+2W]
    const masked = tf.add(tf.reshape(scores, [B * Hkv, NB, R, W, Kn]), blockMask(NB, W, P)); // [B*Hkv, NB, R, W, P+2W]
    const p = tf.reshape(tf.softmax(masked, -1), [B, Hkv, NB, R * W, Kn]); // [B, Hkv, NB, R*W, P+2W]
    const y = tf.reshape(tf.matMul(p, values), [B * Hkv, NB, R, W * D]); // [B*Hkv, NB, R, W*D]
    const yh = tf.reshape(R === 1 ? y : tf.transpose(y, [0, 2, 1, 3]), [B, H, Sp, D]); // [B, H, Sp, D]
    return (Sp === S ? yh : sliceSeq(yh, 0, S)) as tf.Tensor4D; // [B, H, S, D]
  });
}

/** The decoding cache after a prompt's keys and values [B, Hkv, S, D] (new tensors). */
export function slidingWindowCache(k: tf.Tensor4D, v: tf.Tensor4D, opts: SlidingWindowOptions): SlidingWindowCache {
  const fn = "slidingWindowCache";
  const { window: W, sinks } = resolve(fn, opts);
  if (k?.rank !== 4) badShape(fn, "k", k, "[B, Hkv, S, D]");
  expectShape(fn, "k", k, k.shape, "[B, Hkv, S, D]");
  expectShape(fn, "v", v, k.shape, "the shape of k");
  const [B, Hkv, S, D] = k.shape;
  const P = Math.min(sinks, S);
  const start = Math.max(P, S - W);
  return tf.tidy(() => ({
    sinkK: tf.slice(k, [0, 0, 0, 0], [B, Hkv, P, D]), // [B, Hkv, P, D]
    sinkV: tf.slice(v, [0, 0, 0, 0], [B, Hkv, P, D]), // [B, Hkv, P, D]
    windowK: tf.slice(k, [0, 0, start, 0], [B, Hkv, S - start, D]), // [B, Hkv, <= W, D]
    windowV: tf.slice(v, [0, 0, start, 0], [B, Hkv, S - start, D]), // [B, Hkv, <= W, D]
    length: S,
  }));
}

export type SlidingWindowStepResult = {
  /** [B, H, D] */
  h: tf.Tensor3D;
  /** the cache with this token (new tensors; the caller disposes the old cache) */
  cache: SlidingWindowCache;
};

/**
 * One decoding step of sliding-window attention: appends this token's k, v to the cache and
 * attends over the sinks and the window. Cost and memory bounded by sinks + window.
 *
 * @param cache from {@link slidingWindowCache} or a previous step; null before the first token
 * @param q [B, H, D]
 * @param k [B, Hkv, D]
 * @param v [B, Hkv, D]
 */
export function slidingWindowStep(
  cache: SlidingWindowCache | null,
  q: tf.Tensor3D,
  k: tf.Tensor3D,
  v: tf.Tensor3D,
  opts: SlidingWindowOptions,
): SlidingWindowStepResult {
  const fn = "slidingWindowStep";
  const { window: W, sinks } = resolve(fn, opts);
  const { B, H, Hkv, D } = kvShapes(fn, q, k, v, true);
  if (cache) {
    expectShape(fn, "cache.sinkK", cache.sinkK, [B, Hkv, cache.sinkK?.shape[2] ?? 0, D], "[B, Hkv, <= sinks, D]");
    expectShape(fn, "cache.windowK", cache.windowK, [B, Hkv, cache.windowK?.shape[2] ?? 0, D], "[B, Hkv, <= window, D]");
    if (cache.sinkK.shape[2] > sinks || cache.windowK.shape[2] > W) {
      const held = { sinks: cache.sinkK.shape[2], window: cache.windowK.shape[2] };
      throw new ArgumentError("cache", held, `at most ${sinks} sink and ${W} window positions (the options given)`, fn);
    }
  }
  return tf.tidy(() => {
    const empty = () => tf.zeros([B, Hkv, 0, D]) as tf.Tensor4D;
    const prev = cache ?? { sinkK: empty(), sinkV: empty(), windowK: empty(), windowV: empty(), length: 0 };
    const k1 = tf.reshape(k, [B, Hkv, 1, D]); // [B, Hkv, 1, D]
    const v1 = tf.reshape(v, [B, Hkv, 1, D]); // [B, Hkv, 1, D]
    const keep = (x: tf.Tensor4D, n: number): tf.Tensor4D => (x.shape[2] > n ? tf.slice(x, [0, 0, x.shape[2] - n, 0], [B, Hkv, n, D]) : x); // the last n positions
    const toSinks = prev.length < sinks;
    const next: SlidingWindowCache = {
      sinkK: toSinks ? (tf.concat([prev.sinkK, k1], 2) as tf.Tensor4D) : tf.clone(prev.sinkK), // [B, Hkv, <= sinks, D]
      sinkV: toSinks ? (tf.concat([prev.sinkV, v1], 2) as tf.Tensor4D) : tf.clone(prev.sinkV),
      windowK: toSinks ? tf.clone(prev.windowK) : keep(tf.concat([prev.windowK, k1], 2) as tf.Tensor4D, W), // [B, Hkv, <= W, D]
      windowV: toSinks ? tf.clone(prev.windowV) : keep(tf.concat([prev.windowV, v1], 2) as tf.Tensor4D, W),
      length: prev.length + 1,
    };
    const keys = tf.concat([next.sinkK, next.windowK], 2) as tf.Tensor4D; // [B, Hkv, <= sinks+W, D]
    const values = tf.concat([next.sinkV, next.windowV], 2) as tf.Tensor4D; // [B, Hkv, <= sinks+W, D]
    const h = tf.reshape(groupedAttention(tf.reshape(q, [B, H, 1, D]) as tf.Tensor4D, keys, values, null), [B, H, D]) as tf.Tensor3D; // [B, H, D]
    return { h, cache: next };
  });
}
