// Options of the mLSTM forms: the defaults in one place, validated eagerly; and the shape checks
// every form shares. Errors are the SDK's ArgumentError: the function, the argument, the value it
// got (a shape for a tensor) and what it accepts.

import type * as tf from "@tensorflow/tfjs-core";
import { ArgumentError } from "../errors.js";

/**
 * Where the stabiliser m starts before the first token.
 * - "-inf" (the default here): m_1 = i~_1, so m_t is exactly the largest log weight max_s logD[t, s]
 *   of the parallel form, and all forms compute the same function.
 * - "zero": m_0 = 0, as NX-AI's mlstm_kernels recurrent and chunkwise kernels start (their parallel
 *   kernel is "-inf"). m_t then also covers a virtual zero state, m_t = max(F_t, max_s logD[t, s]).
 * The two differ only in the eps term of the denominator: h = q.C / (max(|q.n|, 1) + eps * exp(m_t))
 * in unstabilised terms.
 */
export type StabilizerStart = "-inf" | "zero";

export const STABILIZER_STARTS: readonly StabilizerStart[] = ["-inf", "zero"];

/** xLSTM 7B's soft-cap of the gate pre-activations. */
export const GATE_SOFT_CAP = 15;

export interface MlstmOptions {
  /** Added to the denominator max(|q.n|, exp(-m)). Default 1e-6 (the reference's). */
  eps?: number;
  /** Where the stabiliser m starts; see {@link StabilizerStart}. Default "-inf". */
  mInit?: StabilizerStart;
  /** Soft-cap cap * tanh(x / cap) on both gate pre-activations (xLSTM 7B: {@link GATE_SOFT_CAP}). Default null: off. */
  gateSoftCap?: number | null;
}

export interface ResolvedMlstmOptions {
  eps: number;
  mInit: StabilizerStart;
  gateSoftCap: number | null;
}

/** The defaults of {@link MlstmOptions}, in one place. */
export const MLSTM_DEFAULTS: ResolvedMlstmOptions = { eps: 1e-6, mInit: "-inf", gateSoftCap: null };

/** The chunk length of the chunkwise form unless one is given (the reference's). */
export const DEFAULT_CHUNK_SIZE = 64;

export function resolveMlstmOptions(fn: string, opts: MlstmOptions = {}): ResolvedMlstmOptions {
  const r = { ...MLSTM_DEFAULTS, ...stripUndefined(opts) } as ResolvedMlstmOptions;
  if (typeof r.eps !== "number" || !Number.isFinite(r.eps) || r.eps < 0) {
    throw new ArgumentError("eps", r.eps, "a finite number >= 0", fn);
  }
  if (!STABILIZER_STARTS.includes(r.mInit)) {
    throw new ArgumentError("mInit", r.mInit, `one of ${STABILIZER_STARTS.map((s) => JSON.stringify(s)).join(", ")}`, fn);
  }
  if (r.gateSoftCap !== null && (typeof r.gateSoftCap !== "number" || !Number.isFinite(r.gateSoftCap) || r.gateSoftCap <= 0)) {
    throw new ArgumentError("gateSoftCap", r.gateSoftCap, "a finite number > 0, or null for no cap", fn);
  }
  return r;
}

export function positiveInteger(fn: string, field: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    throw new ArgumentError(field, value, "an integer >= 1", fn);
  }
  return value;
}

export function nonNegativeInteger(fn: string, field: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0) {
    throw new ArgumentError(field, value, "an integer >= 0", fn);
  }
  return value;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

const fmt = (shape: readonly number[]) => `[${shape.join(", ")}]`;

/** Throws unless `t` is a float32 tensor of exactly `want` (names given for the message). */
export function expectShape(fn: string, arg: string, t: tf.Tensor | null | undefined, want: readonly number[], names: string): void {
  if (!t || typeof (t as tf.Tensor).shape !== "object") throw new ArgumentError(arg, t, `a tensor of shape ${names}`, fn);
  if (t.dtype !== "float32") throw new ArgumentError(`${arg}.dtype`, t.dtype, "float32", fn);
  const ok = t.shape.length === want.length && t.shape.every((d, i) => d === want[i]);
  if (!ok) throw new ArgumentError(`${arg}.shape`, t.shape, `${names} = ${fmt(want)}`, fn);
}

/** Throws an ArgumentError naming `arg`'s shape (or its absence) and the expected shape. */
export function badShape(fn: string, arg: string, t: tf.Tensor | null | undefined, expected: string): never {
  if (!t || typeof t.shape !== "object") throw new ArgumentError(arg, t, `a tensor of shape ${expected}`, fn);
  throw new ArgumentError(`${arg}.shape`, t.shape, expected, fn);
}

export interface SequenceDims {
  B: number;
  H: number;
  S: number;
  K: number;
  V: number;
}

/** Shapes of a full-sequence call: q, k [B, H, S, Dqk], v [B, H, S, Dv], iPre, fPre [B, H, S]. */
export function sequenceDims(fn: string, q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, iPre: tf.Tensor, fPre: tf.Tensor): SequenceDims {
  if (q?.rank !== 4) badShape(fn, "q", q, "[B, H, S, Dqk]");
  const [B, H, S, K] = q.shape as [number, number, number, number];
  if (S < 1) badShape(fn, "q", q, "[B, H, S, Dqk] with S >= 1 (the sequence, axis 2, is empty)");
  expectShape(fn, "q", q, [B, H, S, K], "[B, H, S, Dqk]");
  expectShape(fn, "k", k, [B, H, S, K], "[B, H, S, Dqk] like q");
  if (v?.rank !== 4) badShape(fn, "v", v, "[B, H, S, Dv]");
  const V = v.shape[3]!;
  expectShape(fn, "v", v, [B, H, S, V], "[B, H, S, Dv]");
  expectShape(fn, "iPre", iPre, [B, H, S], "[B, H, S]");
  expectShape(fn, "fPre", fPre, [B, H, S], "[B, H, S]");
  return { B, H, S, K, V };
}
