// Test helpers for sdk/xlstm: the wasm backend, seeded random inputs, the float64 segment-sum
// oracle of the mLSTM (plain JavaScript, independent of tfjs), tolerance checks in torch.allclose's
// terms (|a - b| <= atol + rtol |b|), and central finite differences.

import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { fileURLToPath } from "node:url";
import { use } from "../../../sdk/backend/index.js";
import { registerGradients } from "../../../sdk/nn/gradients.js";

export async function useWasm(): Promise<void> {
  registerGradients();
  await use("wasm");
}

/** test/fixtures/xlstm/<name> in the source tree (tests run from dist/test/...). */
export function fixturePath(name: string): string {
  return fileURLToPath(new URL(`../../../../test/fixtures/xlstm/${name}`, import.meta.url));
}

/** Seeded N(0, 1) and U(lo, hi) draws (mulberry32 + Box-Muller). */
export function rng(seed: number) {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  return {
    uniform,
    normal,
    normals: (n: number, scale = 1, shift = 0) => Float32Array.from({ length: n }, () => shift + scale * normal()),
    uniforms: (n: number, lo: number, hi: number) => Float32Array.from({ length: n }, () => lo + (hi - lo) * uniform()),
  };
}

export interface Dims {
  B: number;
  H: number;
  S: number;
  K: number;
  V: number;
}

/** One mLSTM input set as flat float32 arrays (what both tfjs and the oracle read). */
export interface Case extends Dims {
  q: Float32Array | Float64Array;
  k: Float32Array | Float64Array;
  v: Float32Array | Float64Array;
  i: Float32Array | Float64Array;
  f: Float32Array | Float64Array;
}

export interface GateDraw {
  /** input gate pre-activations: N(shift, scale) or U(lo, hi) */
  i?: { scale?: number; shift?: number } | { lo: number; hi: number };
  f?: { scale?: number; shift?: number } | { lo: number; hi: number };
}

export function randomCase(d: Dims, seed: number, gates: GateDraw = {}): Case {
  const r = rng(seed);
  const { B, H, S, K, V } = d;
  const draw = (g: GateDraw["i"]) =>
    g && "lo" in g ? r.uniforms(B * H * S, g.lo, g.hi) : r.normals(B * H * S, g?.scale ?? 1, g?.shift ?? 0);
  return {
    ...d,
    q: r.normals(B * H * S * K),
    k: r.normals(B * H * S * K),
    v: r.normals(B * H * S * V),
    i: draw(gates.i),
    f: draw(gates.f),
  };
}

export interface CaseTensors {
  q: tf.Tensor4D;
  k: tf.Tensor4D;
  v: tf.Tensor4D;
  i: tf.Tensor3D;
  f: tf.Tensor3D;
}

export function tensors(c: Case): CaseTensors {
  const { B, H, S, K, V } = c;
  const f32 = (a: Float32Array | Float64Array) => Float32Array.from(a);
  return {
    q: tf.tensor4d(f32(c.q), [B, H, S, K]),
    k: tf.tensor4d(f32(c.k), [B, H, S, K]),
    v: tf.tensor4d(f32(c.v), [B, H, S, V]),
    i: tf.tensor3d(f32(c.i), [B, H, S]),
    f: tf.tensor3d(f32(c.f), [B, H, S]),
  };
}

export interface OracleOptions {
  eps?: number;
  mInit?: "-inf" | "zero";
  gateSoftCap?: number | null;
  /**
   * Use these stabilisers m_t [B, H, S] instead of the maxima: h as a function of the inputs with
   * m held where it was, whose gradient is the one the forms compute (m carries none).
   */
  fixedM?: Float64Array;
}

export interface OracleResult {
  /** [B, H, S, V] */
  h: Float64Array;
  /**
   * [B, H, S]: the normaliser's condition number sum_{s,d} |w_s q'_d k_sd| / max(|q'.n|, exp(-m)),
   * q'.n = sum_{s,d} w_s q'_d k_sd. Terms that nearly cancel (across tokens, or within a dot product
   * q'.k_s of nearly orthogonal vectors) leave any float32 evaluation of h relatively inexact.
   */
  kappa: Float64Array;
  /** the stabiliser m_t of every position [B, H, S] */
  mRows: Float64Array;
  /** the final state: C [B, H, K, V], n [B, H, K], m [B, H] */
  C: Float64Array;
  n: Float64Array;
  m: Float64Array;
}

export function logSigmoid64(x: number): number {
  return x >= 0 ? -Math.log1p(Math.exp(-x)) : x - Math.log1p(Math.exp(x));
}

/**
 * The mLSTM in float64, segment-sum form: logD[t, s] = sum_{r=s+1..t} logsigmoid(f~_r) + i~_s summed
 * directly for every (t, s), m_t its maximum over s (and, for mInit "zero", the zero state's
 * sum_{r<=t} logsigmoid(f~_r)), h_t = sum_s exp(logD - m) (q'.k_s) v_s / (max(|sum_s exp(logD - m) q'.k_s|, exp(-m)) + eps).
 */
export function mlstmOracle(c: Case, opts: OracleOptions = {}): OracleResult {
  const { B, H, S, K, V } = c;
  const eps = opts.eps ?? 1e-6;
  const cap = opts.gateSoftCap ?? null;
  const capped = (x: number) => (cap === null ? x : cap * Math.tanh(x / cap));
  const h = new Float64Array(B * H * S * V);
  const kappa = new Float64Array(B * H * S);
  const mRows = new Float64Array(B * H * S);
  const C = new Float64Array(B * H * K * V);
  const n = new Float64Array(B * H * K);
  const mOut = new Float64Array(B * H);
  const scale = 1 / Math.sqrt(K);
  const logD = new Float64Array(S + 1);
  for (let bh = 0; bh < B * H; bh++) {
    const logF = Array.from({ length: S }, (_, t) => logSigmoid64(capped(c.f[bh * S + t]!)));
    const logI = Array.from({ length: S }, (_, t) => capped(c.i[bh * S + t]!));
    const weights = (t: number): number => {
      // fills logD[0..t] for query position t; returns the stabiliser m_t
      let seg = 0;
      let m = Number.NEGATIVE_INFINITY;
      for (let s = t; s >= 0; s--) {
        logD[s] = seg + logI[s]!;
        if (logD[s]! > m) m = logD[s]!;
        seg += logF[s]!;
      }
      if (opts.mInit === "zero" && seg > m) m = seg; // seg = sum_{r<=t} logF_r: the zero state's weight
      return m;
    };
    for (let t = 0; t < S; t++) {
      const mMax = weights(t); // also fills logD for this t
      const m = opts.fixedM ? opts.fixedM[bh * S + t]! : mMax;
      mRows[bh * S + t] = m;
      const qo = (bh * S + t) * K;
      let qn = 0;
      let qnAbs = 0;
      const num = new Float64Array(V);
      for (let s = 0; s <= t; s++) {
        const w = Math.exp(logD[s]! - m);
        if (w === 0) continue;
        const ko = (bh * S + s) * K;
        let dot = 0;
        let dotAbs = 0;
        for (let d = 0; d < K; d++) {
          dot += c.q[qo + d]! * c.k[ko + d]!;
          dotAbs += Math.abs(c.q[qo + d]! * c.k[ko + d]!);
        }
        const a = w * dot * scale;
        qn += a;
        qnAbs += w * dotAbs * scale;
        const vo = (bh * S + s) * V;
        for (let e = 0; e < V; e++) num[e] += a * c.v[vo + e]!;
      }
      const denom = Math.max(Math.abs(qn), Math.exp(-m)) + eps;
      kappa[bh * S + t] = Math.max(1, qnAbs / denom);
      for (let e = 0; e < V; e++) h[(bh * S + t) * V + e] = num[e]! / denom;
    }
    const m = weights(S - 1);
    mOut[bh] = m;
    for (let s = 0; s < S; s++) {
      const w = Math.exp(logD[s]! - m);
      for (let d = 0; d < K; d++) {
        const kw = w * c.k[(bh * S + s) * K + d]!;
        n[bh * K + d] += kw;
        for (let e = 0; e < V; e++) C[(bh * K + d) * V + e] += kw * c.v[(bh * S + s) * V + e]!;
      }
    }
  }
  return { h, kappa, mRows, C, n, m: mOut };
}

export interface Closeness {
  maxAbs: number;
  maxRel: number;
  /** max over entries of |a - b| / (atol + rtol kappa |b|): at most 1 when the check holds */
  worst: number;
}

/**
 * Per-row condition numbers: entry j of `got` belongs to row floor(j / rowLength) and is held to
 * rtol * kappa[row]. A sum whose terms cancel is computed to about machine precision times
 * sum |terms| / |sum| in any float32 order, so an ill-conditioned row cannot meet a plain rtol.
 */
export interface RowConditioning {
  kappa: ArrayLike<number>;
  rowLength: number;
}

/** How close `got` is to `want` under torch.allclose(got, want, rtol, atol), rtol scaled per row by `cond`. */
export function closeness(got: ArrayLike<number>, want: ArrayLike<number>, atol: number, rtol: number, cond?: RowConditioning): Closeness {
  assert.equal(got.length, want.length, `length ${got.length} vs ${want.length}`);
  let maxAbs = 0;
  let maxRel = 0;
  let worst = 0;
  for (let j = 0; j < got.length; j++) {
    const a = got[j]!;
    const b = want[j]!;
    const d = Math.abs(a - b);
    if (!Number.isFinite(a) || Number.isNaN(d)) return { maxAbs: Number.NaN, maxRel: Number.NaN, worst: Number.POSITIVE_INFINITY };
    const kappa = cond ? cond.kappa[Math.floor(j / cond.rowLength)]! : 1;
    maxAbs = Math.max(maxAbs, d);
    maxRel = Math.max(maxRel, d / Math.max(Math.abs(b), 1e-30));
    worst = Math.max(worst, d / (atol + rtol * kappa * Math.abs(b)));
  }
  return { maxAbs, maxRel, worst };
}

export function fmtCloseness(c: Closeness): string {
  return `max abs ${c.maxAbs.toExponential(2)}, max rel ${c.maxRel.toExponential(2)}, worst |a-b|/(atol+rtol|b|) ${c.worst.toFixed(3)}`;
}

/** Asserts the closeness check and reports the errors through the test's diagnostics. */
export function expectClose(
  t: { diagnostic: (s: string) => void },
  label: string,
  got: ArrayLike<number>,
  want: ArrayLike<number>,
  atol: number,
  rtol: number,
  cond?: RowConditioning,
): Closeness {
  const c = closeness(got, want, atol, rtol, cond);
  const scaled = cond ? " x row conditioning" : "";
  t.diagnostic(`${label}: ${fmtCloseness(c)} (atol ${atol}, rtol ${rtol}${scaled})`);
  assert.ok(c.worst <= 1, `${label}: not within atol ${atol}, rtol ${rtol}${scaled}: ${fmtCloseness(c)}`);
  return c;
}

export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let j = 0; j < a.length; j++) m = Math.max(m, Math.abs(a[j]!));
  return m;
}

/**
 * Central differences of a float64 function of the inputs: d f / d x[name][j] for every entry,
 * (f(x + delta) - f(x - delta)) / (2 delta).
 */
export function finiteDifferences(c: Case, f: (c: Case) => number, delta = 1e-6): Record<"q" | "k" | "v" | "i" | "f", Float64Array> {
  const out = {} as Record<"q" | "k" | "v" | "i" | "f", Float64Array>;
  for (const name of ["q", "k", "v", "i", "f"] as const) {
    const g = new Float64Array(c[name].length);
    for (let j = 0; j < g.length; j++) {
      const plus = Float64Array.from(c[name]);
      const minus = Float64Array.from(c[name]);
      plus[j] += delta;
      minus[j] -= delta;
      g[j] = (f({ ...c, [name]: plus }) - f({ ...c, [name]: minus })) / (2 * delta);
    }
    out[name] = g;
  }
  return out;
}

/** Runs fn and asserts it left tf.memory().numTensors where it found it. */
export function expectNoLeak<T>(label: string, fn: () => T): T {
  const before = tf.memory().numTensors;
  const out = fn();
  assert.equal(tf.memory().numTensors, before, `${label} leaked ${tf.memory().numTensors - before} tensors`);
  return out;
}
