// fit() options: a typed plain object, defaults in one place, eager validation whose errors name
// the field, the value and the allowed range.

import type * as tf from "@tensorflow/tfjs-core";
import { ArgumentError } from "../errors.js";
import type { Model } from "../models/model.js";
import { SCHEDULES, type Schedule } from "./schedule.js";
import type { ParamsOption } from "./params.js";
import type { Batch } from "./data.js";

export interface ProgressEvent {
  step: number;
  steps: number;
  loss: number;
  lr: number;
  tokensPerSecond: number;
  elapsedMs: number;
}

export interface FitOptions {
  steps: number;
  /** peak learning rate (default 1e-3) */
  lr?: number;
  /** default "cosine" */
  schedule?: Schedule;
  /** linear warmup steps (default 0) */
  warmup?: number;
  /** where cosine/linear decay ends (default 0.1 * lr) */
  minLr?: number;
  /** decoupled weight decay on matrices (default 0.01; norms and biases: 0) */
  weightDecay?: number;
  /** clip gradients to this global L2 norm (default 1; 0 = off) */
  clipNorm?: number;
  /** micro-batches per optimizer step (default 1) */
  accumulate?: number;
  /** default: next-token cross-entropy on labels (-100 ignored) */
  loss?: (model: Model, batch: Required<Pick<Batch, "ids" | "labels">> & Batch) => tf.Scalar;
  /** recorded in checkpoints (a resume with another seed is refused); data draws its randomness from its own seed */
  seed?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** write a checkpoint every `every` steps (and at the end) to dir; a dir with one resumes from it */
  checkpoint?: { dir: string; every: number; keep?: number };
  /** which parameters train (default: every trainable one; a list of names may name frozen ones) */
  params?: ParamsOption;
  onProgress?: (e: ProgressEvent) => void;
  /** progress label (default "train") */
  label?: string;
  /** no terminal bar (the kernel hook and onProgress still get events) */
  quiet?: boolean;
  /** stops training at the next step (so does interrupting the notebook cell); see sr.runtime */
  signal?: AbortSignal;
  /** a NaN or infinite loss: "error" (default) stops naming the step; "skip" drops that step's update */
  nonFinite?: "error" | "skip";
}

export type FitConfig = Required<Omit<FitOptions, "loss" | "checkpoint" | "params" | "onProgress" | "signal">> &
  Pick<FitOptions, "loss" | "checkpoint" | "params" | "onProgress" | "signal">;

export class FitConfigError extends ArgumentError {
  constructor(field: string, value: unknown, allowed: string) {
    super(field, value, allowed, "fit");
    this.name = "FitConfigError";
  }
}

const int = (f: string, v: unknown, min: number) => {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min) throw new FitConfigError(f, v, `an integer >= ${min}`);
  return v;
};
const num = (f: string, v: unknown, lo: number, hi = Infinity, open = false) => {
  if (typeof v !== "number" || !Number.isFinite(v) || v < lo || v > hi || (open && v === lo))
    throw new FitConfigError(f, v, `a number in ${open ? "(" : "["}${lo}, ${hi === Infinity ? "inf)" : `${hi}]`}`);
  return v;
};

export function fitConfig(o: FitOptions): FitConfig {
  if (typeof o !== "object" || o === null) throw new FitConfigError("(options)", o, "an object with steps");
  const steps = int("steps", o.steps, 1);
  const lr = num("lr", o.lr ?? 1e-3, 0, Infinity, true);
  const schedule = o.schedule ?? "cosine";
  if (!SCHEDULES.includes(schedule)) throw new FitConfigError("schedule", schedule, `one of ${SCHEDULES.join(", ")}`);
  const warmup = int("warmup", o.warmup ?? 0, 0);
  if (warmup > steps) throw new FitConfigError("warmup", warmup, `an integer in [0, steps = ${steps}]`);
  const minLr = num("minLr", o.minLr ?? 0.1 * lr, 0, lr);
  const weightDecay = num("weightDecay", o.weightDecay ?? 0.01, 0);
  const clipNorm = num("clipNorm", o.clipNorm ?? 1, 0);
  const accumulate = int("accumulate", o.accumulate ?? 1, 1);
  const seed = int("seed", o.seed ?? 0, 0);
  const beta1 = num("beta1", o.beta1 ?? 0.9, 0, 1);
  const beta2 = num("beta2", o.beta2 ?? 0.999, 0, 1);
  const eps = num("eps", o.eps ?? 1e-8, 0, Infinity, true);
  if (o.checkpoint !== undefined) {
    if (typeof o.checkpoint?.dir !== "string" || !o.checkpoint.dir)
      throw new FitConfigError("checkpoint.dir", o.checkpoint?.dir, "a folder path");
    int("checkpoint.every", o.checkpoint.every, 1);
    if (o.checkpoint.keep !== undefined) int("checkpoint.keep", o.checkpoint.keep, 1);
  }
  if (o.loss !== undefined && typeof o.loss !== "function") throw new FitConfigError("loss", o.loss, "a function (model, batch) => scalar");
  if (o.onProgress !== undefined && typeof o.onProgress !== "function") throw new FitConfigError("onProgress", o.onProgress, "a function");
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) throw new FitConfigError("signal", o.signal, "an AbortSignal");
  const nonFinite = o.nonFinite ?? "error";
  if (nonFinite !== "error" && nonFinite !== "skip") throw new FitConfigError("nonFinite", nonFinite, '"error" or "skip"');
  return {
    steps,
    lr,
    schedule,
    warmup,
    minLr,
    weightDecay,
    clipNorm,
    accumulate,
    seed,
    beta1,
    beta2,
    eps,
    label: o.label ?? "train",
    quiet: o.quiet ?? false,
    loss: o.loss,
    checkpoint: o.checkpoint,
    params: o.params,
    onProgress: o.onProgress,
    signal: o.signal,
    nonFinite,
  };
}
