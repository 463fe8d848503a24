// Sliding-window attention with sinks against a dense float64 reference under an explicit mask
// (query t sees s <= t with s > t - window or s < sinks), over the blocked layout's edge cases; the
// decoding step and the prefill cache against the full-sequence form; the cache's bound.

import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { type SlidingWindowCache, slidingWindowAttention, slidingWindowCache, slidingWindowStep } from "../../../sdk/xlstm/index.js";
import { expectClose, rng, useWasm } from "./helpers.js";

before(useWasm);

interface Attn {
  B: number;
  H: number;
  Hkv: number;
  S: number;
  D: number;
  q: Float32Array;
  k: Float32Array;
  v: Float32Array;
}

function randomAttn(B: number, H: number, Hkv: number, S: number, D: number, seed: number): Attn {
  const r = rng(seed);
  return { B, H, Hkv, S, D, q: r.normals(B * H * S * D, 2), k: r.normals(B * Hkv * S * D), v: r.normals(B * Hkv * S * D) };
}

/** The explicit mask: which keys query t sees. */
const visible = (t: number, s: number, window: number, sinks: number) => s <= t && (s > t - window || s < sinks);

/** Dense softmax attention in float64 under `visible`; query head h reads kv head floor(h / (H / Hkv)). */
function denseReference(a: Attn, window: number, sinks: number): Float64Array {
  const { B, H, Hkv, S, D } = a;
  const out = new Float64Array(B * H * S * D);
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++) {
      const g = Math.floor(h / (H / Hkv));
      for (let t = 0; t < S; t++) {
        const scores: number[] = [];
        for (let s = 0; s < S; s++) {
          if (!visible(t, s, window, sinks)) {
            scores.push(Number.NEGATIVE_INFINITY);
            continue;
          }
          let dot = 0;
          for (let d = 0; d < D; d++) dot += a.q[((b * H + h) * S + t) * D + d]! * a.k[((b * Hkv + g) * S + s) * D + d]!;
          scores.push(dot / Math.sqrt(D));
        }
        const mx = Math.max(...scores);
        const p = scores.map((x) => Math.exp(x - mx));
        const z = p.reduce((x, y) => x + y, 0);
        for (let s = 0; s < S; s++) {
          if (p[s] === 0) continue;
          for (let d = 0; d < D; d++) out[((b * H + h) * S + t) * D + d] += (p[s]! / z) * a.v[((b * Hkv + g) * S + s) * D + d]!;
        }
      }
    }
  return out;
}

const tensorsOf = (a: Attn) => ({
  q: tf.tensor4d(a.q, [a.B, a.H, a.S, a.D]),
  k: tf.tensor4d(a.k, [a.B, a.Hkv, a.S, a.D]),
  v: tf.tensor4d(a.v, [a.B, a.Hkv, a.S, a.D]),
});

const CONFIGS: [string, number, number, number, number, number][] = [
  // label, H, Hkv, S, window, sinks
  ["S a multiple of the window, 4 sinks", 2, 2, 64, 16, 4],
  ["S not a multiple of the window", 2, 2, 45, 8, 4],
  ["grouped kv heads (4 query heads on 2)", 4, 2, 45, 8, 3],
  ["no sinks", 2, 1, 30, 7, 0],
  ["more sinks than the window", 2, 2, 40, 4, 9],
  ["sinks beyond the sequence", 2, 2, 12, 5, 20],
  ["window 1: each query sees itself and the sinks", 2, 2, 20, 1, 2],
  ["sequence within the window: causal attention", 2, 1, 10, 16, 4],
  ["sequence one longer than the window", 2, 2, 17, 16, 4],
];

for (const [label, H, Hkv, S, window, sinks] of CONFIGS) {
  test(`sliding-window attention equals the dense masked reference: ${label}`, (t) => {
    const a = randomAttn(2, H, Hkv, S, 8, S * 31 + window);
    const x = tensorsOf(a);
    const before = tf.memory().numTensors;
    const y = slidingWindowAttention(x.q, x.k, x.v, { window, sinks });
    assert.deepEqual(y.shape, [2, H, S, 8]);
    expectClose(t, label, y.dataSync(), denseReference(a, window, sinks), 1e-5, 1e-4);
    y.dispose();
    assert.equal(tf.memory().numTensors, before);
    tf.dispose([x.q, x.k, x.v]);
  });
}

/** Decodes positions [from, S) one token at a time from `cache`; returns [B, H, S - from, D] as nested arrays. */
function decode(x: ReturnType<typeof tensorsOf>, cache: SlidingWindowCache | null, from: number, window: number, sinks: number) {
  const [B, H, S, D] = x.q.shape;
  const Hkv = x.k.shape[1];
  const rows: Float32Array[] = [];
  let c = cache;
  let maxKeys = 0;
  for (let s = from; s < S; s++) {
    const r = tf.tidy(() => {
      const pick = (a: tf.Tensor4D, heads: number) => tf.reshape(tf.slice(a, [0, 0, s, 0], [B, heads, 1, D]), [B, heads, D]) as tf.Tensor3D;
      return slidingWindowStep(c, pick(x.q, H), pick(x.k, Hkv), pick(x.v, Hkv), { window, sinks });
    });
    if (c) tf.dispose(c);
    c = r.cache;
    maxKeys = Math.max(maxKeys, c.sinkK.shape[2] + c.windowK.shape[2]);
    assert.equal(c.length, s + 1);
    rows.push(r.h.dataSync() as Float32Array);
    r.h.dispose();
  }
  if (c) tf.dispose(c);
  return { rows, maxKeys };
}

function column(full: Float32Array, B: number, H: number, S: number, D: number, from: number): number[] {
  const out: number[] = [];
  for (let s = from; s < S; s++) for (let bh = 0; bh < B * H; bh++) for (let d = 0; d < D; d++) out.push(full[(bh * S + s) * D + d]!);
  return out;
}

test("decoding step by step from nothing equals the full sequence; the cache holds at most sinks + window keys", (t) => {
  for (const [H, Hkv, S, window, sinks] of [
    [4, 2, 40, 6, 3],
    [2, 2, 25, 4, 0],
    [2, 1, 12, 20, 4],
  ]) {
    const a = randomAttn(2, H, Hkv, S, 8, 7 + S);
    const x = tensorsOf(a);
    const full = slidingWindowAttention(x.q, x.k, x.v, { window, sinks });
    const before = tf.memory().numTensors;
    const { rows, maxKeys } = decode(x, null, 0, window, sinks);
    assert.equal(tf.memory().numTensors, before, "decoding leaks nothing");
    assert.equal(maxKeys, Math.min(S, sinks + window), "the cache's size is bounded by sinks + window");
    const got = rows.flatMap((r) => Array.from(r));
    expectClose(t, `decode W = ${window}, sinks = ${sinks}`, got, column(full.dataSync() as Float32Array, 2, H, S, 8, 0), 1e-5, 1e-4);
    tf.dispose([full, x.q, x.k, x.v]);
  }
});

test("prefill cache from a prompt, then decode: the full sequence's outputs", (t) => {
  const [H, Hkv, S, window, sinks] = [4, 2, 50, 8, 4];
  const a = randomAttn(1, H, Hkv, S, 8, 99);
  const x = tensorsOf(a);
  const full = slidingWindowAttention(x.q, x.k, x.v, { window, sinks });
  for (const P of [1, 3, 4, 9, 30]) {
    const cache = slidingWindowCache(tf.slice(x.k, [0, 0, 0, 0], [1, Hkv, P, 8]), tf.slice(x.v, [0, 0, 0, 0], [1, Hkv, P, 8]), {
      window,
      sinks,
    });
    assert.equal(cache.length, P);
    assert.equal(cache.sinkK.shape[2], Math.min(P, sinks));
    assert.equal(cache.windowK.shape[2], P - Math.max(Math.min(P, sinks), P - window));
    const { rows } = decode(x, cache, P, window, sinks);
    expectClose(
      t,
      `prompt ${P}`,
      rows.flatMap((r) => Array.from(r)),
      column(full.dataSync() as Float32Array, 1, H, S, 8, P),
      1e-5,
      1e-4,
    );
  }
  tf.dispose([full, x.q, x.k, x.v]);
});

test("gradients through the blocked layout equal those of dense masked attention", (t) => {
  const [H, Hkv, S, D, window, sinks] = [4, 2, 29, 8, 6, 2];
  const a = randomAttn(1, H, Hkv, S, D, 5);
  const x = tensorsOf(a);
  const mask = new Float32Array(S * S);
  for (let i = 0; i < S; i++) for (let s = 0; s < S; s++) mask[i * S + s] = visible(i, s, window, sinks) ? 0 : -1e9;
  const bias = tf.tensor4d(mask, [1, 1, S, S]);
  const r = tf.randomNormal([1, H, S, D], 0, 1, "float32", 3);
  const dense = (q: tf.Tensor, k: tf.Tensor, v: tf.Tensor) =>
    tf.tidy(() => {
      const rep = (z: tf.Tensor) => tf.reshape(tf.tile(tf.reshape(z, [1, Hkv, 1, S * D]), [1, 1, H / Hkv, 1]), [1, H, S, D]);
      const p = tf.softmax(tf.add(tf.div(tf.matMul(q, rep(k), false, true), Math.sqrt(D)), bias));
      return tf.sum(tf.mul(tf.matMul(p, rep(v)), r));
    });
  const blocked = (q: tf.Tensor, k: tf.Tensor, v: tf.Tensor) =>
    tf.sum(tf.mul(slidingWindowAttention(q as tf.Tensor4D, k as tf.Tensor4D, v as tf.Tensor4D, { window, sinks }), r));
  const want = tf.grads(dense)([x.q, x.k, x.v]);
  const got = tf.grads(blocked)([x.q, x.k, x.v]);
  for (const [j, n] of ["q", "k", "v"].entries()) expectClose(t, `d/d${n}`, got[j]!.dataSync(), want[j]!.dataSync(), 1e-5, 1e-4);
  tf.dispose([...want, ...got, bias, r, x.q, x.k, x.v]);
});
