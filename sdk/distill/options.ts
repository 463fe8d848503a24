// Options of the distillation pipeline's verbs: typed plain objects, every default in one place,
// checked eagerly (when the verb is called, not when the plan runs) with errors that name the
// verb, the field, the value and the range.

import { ArgumentError } from "../errors.js";
import type { Data } from "../train/data.js";
import type { FeatureMapKind } from "../xlstm/feature-map.js";
import { FEATURE_MAP_KINDS } from "../xlstm/feature-map.js";

export interface StudentOptions {
  /** softmax branch: positions a query sees back to itself (default 64; at most the teacher's maxSeq) */
  window?: number;
  /** softmax branch: first positions every query sees (default 4, the paper's) */
  sinks?: number;
  /** "hedgehog" softmax(xW) (default) or "lolcats" [softmax(xW), softmax(-xW)] */
  featureMap?: FeatureMapKind;
  /** feature map columns per head (default the head size) */
  featureDim?: number;
  /** chunk length of the mLSTM's chunkwise form (default 64) */
  chunkSize?: number;
  /** soft-cap of the gate pre-activations, cap * tanh(x / cap) (xLSTM 7B: 15); default none */
  gateSoftCap?: number | null;
  /** seed of the new parameters' init (default 0) */
  seed?: number;
}

/** Stage I: layer-wise alignment of the hybrid mixers to the teacher's attention. */
export interface AlignOptions {
  /** batches of token ids (sr.train.Data: an array, a function of the step, an iterable) */
  data: Data;
  steps: number;
  /** peak learning rate (default 1e-2, the paper's) */
  lr?: number;
  /** linear warm-up steps (default 10% of steps) */
  warmup?: number;
  /** where the cosine decay ends (default 1e-5, the paper's; at most lr) */
  minLr?: number;
}

/** How the KL term treats the probability mass outside the teacher's top-k tokens. */
export type TopKTail = "bucket" | "renormalize";
export const TOP_K_TAILS: readonly TopKTail[] = ["bucket", "renormalize"];

/** Stage II: end-to-end distillation with -gamma log p + beta KL over the teacher's top-k. */
export interface DistillOptions {
  data: Data;
  steps: number;
  /** peak learning rate (default 1e-3) */
  lr?: number;
  /** weight of the next-token cross-entropy (default 0.9, the paper's) */
  gamma?: number;
  /** weight of the top-k KL to the teacher (default 0.1, the paper's) */
  beta?: number;
  /** teacher tokens kept per position (default 256, the paper's; at most the vocabulary) */
  topK?: number;
  /** the tail outside the top-k: one extra "rest" outcome on both sides, or both renormalised over the top-k (default "bucket"; see bench/README.md) */
  tail?: TopKTail;
  /** linear warm-up steps (default 5% of steps) */
  warmup?: number;
  /** AdamW's decoupled weight decay on matrices (default 0.1, the paper's) */
  weightDecay?: number;
  /** global gradient-norm clip (default 1, the paper's) */
  clipNorm?: number;
  /** where teacher targets are cached (default $STILLROOM_CACHE or ~/.cache/stillroom, folder distill-targets) */
  cacheDir?: string;
}

/** Stage II per domain: everything of DistillOptions but the data, which each expert names. */
export type ExpertOptions = Omit<DistillOptions, "data">;

export type MergeMethod = "average" | "task-arithmetic" | "ties";
export const MERGE_METHODS: readonly MergeMethod[] = ["average", "task-arithmetic", "ties"];

export interface MergeOptions {
  /** convex weights per expert (>= 0, summing to 1), or "uniform" (default) */
  weights?: Record<string, number> | "uniform";
  /** default "average" (the paper's): theta = sum_i w_i theta_i */
  method?: MergeMethod;
  /** task-arithmetic and ties: theta = base + scale * merged task vector (default 1) */
  scale?: number;
  /** ties: fraction of each task vector's entries kept, by magnitude (default 0.2) */
  density?: number;
}

export const STUDENT_DEFAULTS = {
  window: 64,
  sinks: 4,
  featureMap: "hedgehog" as FeatureMapKind,
  chunkSize: 64,
  gateSoftCap: null,
  seed: 0,
};
export const ALIGN_DEFAULTS = { lr: 1e-2, warmupFraction: 0.1, minLr: 1e-5 };
export const DISTILL_DEFAULTS = {
  lr: 1e-3,
  gamma: 0.9,
  beta: 0.1,
  topK: 256,
  tail: "bucket" as TopKTail,
  warmupFraction: 0.05,
  weightDecay: 0.1,
  clipNorm: 1,
};
export const MERGE_DEFAULTS = { method: "average" as MergeMethod, scale: 1, density: 0.2 };

export type ResolvedStudent = Required<Omit<StudentOptions, "featureDim">> & { featureDim: number | undefined };
export type ResolvedAlign = Required<AlignOptions>;
export type ResolvedDistill = Required<Omit<DistillOptions, "cacheDir">> & { cacheDir: string | undefined };
export type ResolvedExpert = Omit<ResolvedDistill, "data">;
export type ResolvedMerge = { weights: Record<string, number> | "uniform"; method: MergeMethod; scale: number; density: number };

function own(where: string, o: unknown, known: string[]): Record<string, unknown> {
  if (o === undefined) return {};
  if (typeof o !== "object" || o === null || Array.isArray(o))
    throw new ArgumentError("(options)", o, `an object {${known.join(", ")}}`, where);
  for (const k of Object.keys(o)) {
    if (!known.includes(k))
      throw new ArgumentError(k, (o as Record<string, unknown>)[k], `no such option (options: ${known.join(", ")})`, where);
  }
  return o as Record<string, unknown>;
}

export function int(where: string, field: string, v: unknown, min: number): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min) throw new ArgumentError(field, v, `an integer >= ${min}`, where);
  return v;
}

export function num(where: string, field: string, v: unknown, lo: number, hi = Number.POSITIVE_INFINITY, open = false): number {
  const ok = typeof v === "number" && Number.isFinite(v) && v >= lo && v <= hi && !(open && v === lo);
  if (!ok)
    throw new ArgumentError(
      field,
      v,
      `a number in ${open ? "(" : "["}${lo}, ${hi === Number.POSITIVE_INFINITY ? "inf)" : `${hi}]`}`,
      where,
    );
  return v as number;
}

function data(where: string, v: unknown): Data {
  if (Array.isArray(v) && v.length === 0)
    throw new ArgumentError("data", v, "a non-empty array of batches, a function (step) => batch, or an iterable of batches", where);
  const ok =
    Array.isArray(v) ||
    typeof v === "function" ||
    (typeof v === "object" && v !== null && (Symbol.iterator in v || Symbol.asyncIterator in v));
  if (!ok)
    throw new ArgumentError("data", v, "batches: an array, a function (step) => batch, or an iterable of batches ({ids, labels?})", where);
  return v as Data;
}

export function studentOptions(o: StudentOptions | undefined): ResolvedStudent {
  const w = "sr.distill.student";
  const r: Record<string, unknown> = {
    ...STUDENT_DEFAULTS,
    ...own(w, o, ["window", "sinks", "featureMap", "featureDim", "chunkSize", "gateSoftCap", "seed"]),
  };
  if (!FEATURE_MAP_KINDS.includes(r.featureMap as FeatureMapKind)) {
    throw new ArgumentError("featureMap", r.featureMap, `one of ${FEATURE_MAP_KINDS.map((k) => JSON.stringify(k)).join(", ")}`, w);
  }
  if (r.gateSoftCap !== null) num(w, "gateSoftCap", r.gateSoftCap, 0, Number.POSITIVE_INFINITY, true);
  return {
    window: int(w, "window", r.window, 1),
    sinks: int(w, "sinks", r.sinks, 0),
    featureMap: r.featureMap as FeatureMapKind,
    featureDim: r.featureDim === undefined ? undefined : int(w, "featureDim", r.featureDim, 1),
    chunkSize: int(w, "chunkSize", r.chunkSize, 1),
    gateSoftCap: r.gateSoftCap as number | null,
    seed: int(w, "seed", r.seed, 0),
  };
}

export function alignOptions(o: AlignOptions): ResolvedAlign {
  const w = ".align";
  const r = own(w, o, ["data", "steps", "lr", "warmup", "minLr"]);
  const steps = int(w, "steps", r.steps, 1);
  const lr = num(w, "lr", r.lr ?? ALIGN_DEFAULTS.lr, 0, Number.POSITIVE_INFINITY, true);
  const warmup = int(w, "warmup", r.warmup ?? Math.round(ALIGN_DEFAULTS.warmupFraction * steps), 0);
  if (warmup > steps) throw new ArgumentError("warmup", warmup, `an integer in [0, steps = ${steps}]`, w);
  return { data: data(w, r.data), steps, lr, warmup, minLr: num(w, "minLr", r.minLr ?? Math.min(ALIGN_DEFAULTS.minLr, lr), 0, lr) };
}

const EXPERT_FIELDS = ["steps", "lr", "gamma", "beta", "topK", "tail", "warmup", "weightDecay", "clipNorm", "cacheDir"];

export function expertOptions(o: ExpertOptions, w = ".experts"): ResolvedExpert {
  const r = own(w, o, EXPERT_FIELDS);
  const steps = int(w, "steps", r.steps, 1);
  const warmup = int(w, "warmup", r.warmup ?? Math.round(DISTILL_DEFAULTS.warmupFraction * steps), 0);
  if (warmup > steps) throw new ArgumentError("warmup", warmup, `an integer in [0, steps = ${steps}]`, w);
  const tail = r.tail ?? DISTILL_DEFAULTS.tail;
  if (!TOP_K_TAILS.includes(tail as TopKTail))
    throw new ArgumentError("tail", tail, `one of ${TOP_K_TAILS.map((t) => JSON.stringify(t)).join(", ")}`, w);
  if (r.cacheDir !== undefined && (typeof r.cacheDir !== "string" || !r.cacheDir))
    throw new ArgumentError("cacheDir", r.cacheDir, "a folder path", w);
  const gamma = num(w, "gamma", r.gamma ?? DISTILL_DEFAULTS.gamma, 0);
  const beta = num(w, "beta", r.beta ?? DISTILL_DEFAULTS.beta, 0);
  if (gamma === 0 && beta === 0) throw new ArgumentError("gamma", gamma, "gamma > 0 or beta > 0 (both 0 leaves nothing to train on)", w);
  return {
    steps,
    lr: num(w, "lr", r.lr ?? DISTILL_DEFAULTS.lr, 0, Number.POSITIVE_INFINITY, true),
    gamma,
    beta,
    topK: int(w, "topK", r.topK ?? DISTILL_DEFAULTS.topK, 1),
    tail: tail as TopKTail,
    warmup,
    weightDecay: num(w, "weightDecay", r.weightDecay ?? DISTILL_DEFAULTS.weightDecay, 0),
    clipNorm: num(w, "clipNorm", r.clipNorm ?? DISTILL_DEFAULTS.clipNorm, 0),
    cacheDir: r.cacheDir as string | undefined,
  };
}

export function distillOptions(o: DistillOptions): ResolvedDistill {
  const w = ".distill";
  const { data: d, ...rest } = own(w, o, ["data", ...EXPERT_FIELDS]);
  return { data: data(w, d), ...expertOptions(rest as ExpertOptions, w) };
}

/** Each expert's data must be non-empty: an error names the expert. */
export function expertData(domains: unknown): Record<string, Data> {
  const w = ".experts";
  if (typeof domains !== "object" || domains === null || Array.isArray(domains)) {
    throw new ArgumentError("(domains)", domains, "an object {name: data, ...} with one entry per expert", w);
  }
  const names = Object.keys(domains);
  if (names.length === 0) throw new ArgumentError("(domains)", domains, "at least one expert {name: data}", w);
  const out: Record<string, Data> = {};
  for (const n of names) {
    const d = (domains as Record<string, unknown>)[n];
    if (d === undefined || d === null || (Array.isArray(d) && d.length === 0)) {
      throw new ArgumentError(
        `${n}`,
        d,
        `data for expert "${n}": a non-empty array of batches, a function (step) => batch, or an iterable`,
        w,
      );
    }
    out[n] = data(`${w}: expert "${n}"`, d);
  }
  return out;
}

export function mergeOptions(o: MergeOptions | undefined): ResolvedMerge {
  const w = ".mergeExperts";
  const r = own(w, o, ["weights", "method", "scale", "density"]);
  const method = (r.method ?? MERGE_DEFAULTS.method) as MergeMethod;
  if (!MERGE_METHODS.includes(method))
    throw new ArgumentError("method", method, `one of ${MERGE_METHODS.map((m) => JSON.stringify(m)).join(", ")}`, w);
  const weights = r.weights ?? "uniform";
  if (weights !== "uniform") checkWeights(w, weights);
  return {
    weights: weights as Record<string, number> | "uniform",
    method,
    scale: num(w, "scale", r.scale ?? MERGE_DEFAULTS.scale, 0, Number.POSITIVE_INFINITY, true),
    density: num(w, "density", r.density ?? MERGE_DEFAULTS.density, 0, 1, true),
  };
}

/** Convex weights: every entry a number >= 0, summing to 1 (within 1e-6). */
export function checkWeights(w: string, weights: unknown): asserts weights is Record<string, number> {
  if (typeof weights !== "object" || weights === null || Array.isArray(weights)) {
    throw new ArgumentError("weights", weights, '"uniform" or {expert: weight, ...}', w);
  }
  const entries = Object.entries(weights as Record<string, unknown>);
  for (const [n, v] of entries) {
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0)
      throw new ArgumentError(`weights.${n}`, v, "a number >= 0 (merge weights are convex)", w);
  }
  const sum = entries.reduce((a, [, v]) => a + (v as number), 0);
  if (Math.abs(sum - 1) > 1e-6) throw new ArgumentError("weights", weights, `weights summing to 1 (they sum to ${+sum.toFixed(6)})`, w);
}
