// collect() and init() options: typed plain objects, EvaConfig's defaults in one place (rho 2,
// tau 0.99, label mask on with -100, no whitening, scaling factors adjusted), eager validation whose
// errors name the field, the value and what it accepts.

import { ArgumentError } from "../errors.js";
import type { ModuleMatch } from "../nn/paths.js";
import { canRunBeside } from "./pca-runner.js";

export interface CollectOptions {
  /** the linears whose inputs to analyse, as lora.attach takes them: names ("q_proj"), a RegExp or a predicate */
  targets: ModuleMatch;
  /** rank per layer before redistribution; the budget is r times the number of layers (default 8) */
  r?: number;
  /** each layer may receive up to round(r * rho) ranks; 1 keeps ranks uniform (default 2, >= 1) */
  rho?: number;
  /** a layer has converged when each of its components has cosine >= tau with the batch before (default 0.99) */
  tau?: number;
  /** at most this many batches (forward passes); layers not converged by then get a warning (default 100) */
  maxIters?: number;
  /** keep only tokens whose label is not labelIgnoreIndex, besides the attention mask (default true) */
  useLabelMask?: boolean;
  /** the label of ignored tokens (default -100) */
  labelIgnoreIndex?: number;
  /** stops collection at the next batch when it fires (a notebook's interrupt does too) */
  signal?: AbortSignal;
  /** progress label (default "eva") */
  label?: string;
  /** no terminal progress bar (the kernel's display still gets events) */
  quiet?: boolean;
  /** run the incremental PCA on a worker thread, beside the forward pass of the next batch (default:
   *  when the machine has more than one core); the results are the same either way */
  parallel?: boolean;
}

export interface CollectConfig {
  targets: ModuleMatch;
  r: number;
  rho: number;
  tau: number;
  maxIters: number;
  useLabelMask: boolean;
  labelIgnoreIndex: number;
  signal: AbortSignal | undefined;
  label: string;
  quiet: boolean;
  parallel: boolean;
}

export interface InitOptions {
  /** rank per layer before redistribution (default: collect's r) */
  r?: number;
  /** as in collect (default: collect's rho); round(r * rho) may not exceed what collect kept */
  rho?: number;
  /** LoRA alpha for rank r (default 8, PEFT's); with adjustScalingFactors a layer of rank r' gets alpha r' / r */
  alpha?: number;
  /** divide each lora_A row by the square root of its singular value (default false) */
  whiten?: boolean;
  /** keep alpha / r constant when a layer's rank changes (default true) */
  adjustScalingFactors?: boolean;
}

export interface InitConfig {
  r: number;
  rho: number;
  alpha: number;
  whiten: boolean;
  adjustScalingFactors: boolean;
}

const intAtLeast = (where: string, field: string, v: unknown, min: number): number => {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min) throw new ArgumentError(field, v, `an integer >= ${min}`, where);
  return v;
};

const rhoOf = (where: string, v: unknown): number => {
  if (typeof v !== "number" || !Number.isFinite(v) || v < 1)
    throw new ArgumentError("rho", v, "a number >= 1 (1 keeps ranks uniform)", where);
  return v;
};

const bool = (where: string, field: string, v: unknown): boolean => {
  if (typeof v !== "boolean") throw new ArgumentError(field, v, "true or false", where);
  return v;
};

export function collectConfig(o: CollectOptions): CollectConfig {
  const where = "eva.collect";
  if (typeof o !== "object" || o === null) throw new ArgumentError("(options)", o, "an object {targets, r, rho, tau, ...}", where);
  if (o.targets === undefined || o.targets === null)
    throw new ArgumentError("targets", o.targets, 'the layers to analyse: names (["q_proj", "v_proj"]), a RegExp or a predicate', where);
  const tau = o.tau ?? 0.99;
  if (typeof tau !== "number" || !(tau >= 0 && tau <= 1))
    throw new ArgumentError("tau", tau, "a number in [0, 1] (a cosine similarity)", where);
  const ignore = o.labelIgnoreIndex ?? -100;
  if (!Number.isInteger(ignore)) throw new ArgumentError("labelIgnoreIndex", ignore, "an integer (-100 in Hugging Face datasets)", where);
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) throw new ArgumentError("signal", o.signal, "an AbortSignal", where);
  return {
    targets: o.targets,
    r: intAtLeast(where, "r", o.r ?? 8, 1),
    rho: rhoOf(where, o.rho ?? 2),
    tau,
    maxIters: intAtLeast(where, "maxIters", o.maxIters ?? 100, 1),
    useLabelMask: bool(where, "useLabelMask", o.useLabelMask ?? true),
    labelIgnoreIndex: ignore,
    signal: o.signal,
    label: o.label ?? "eva",
    quiet: bool(where, "quiet", o.quiet ?? false),
    parallel: bool(where, "parallel", o.parallel ?? canRunBeside()),
  };
}

export function initConfig(o: InitOptions, collected: { r: number; rho: number }): InitConfig {
  const where = "eva.init";
  if (typeof o !== "object" || o === null)
    throw new ArgumentError("(options)", o, "an object {r, rho, alpha, whiten, adjustScalingFactors}", where);
  const alpha = o.alpha ?? 8;
  if (typeof alpha !== "number" || !Number.isFinite(alpha) || alpha <= 0) throw new ArgumentError("alpha", alpha, "a number > 0", where);
  return {
    r: intAtLeast(where, "r", o.r ?? collected.r, 1),
    rho: rhoOf(where, o.rho ?? collected.rho),
    alpha,
    whiten: bool(where, "whiten", o.whiten ?? false),
    adjustScalingFactors: bool(where, "adjustScalingFactors", o.adjustScalingFactors ?? true),
  };
}

/** Python's round(): halves go to the even neighbour (round(2.5) = 2, round(3.5) = 4), as PEFT computes r * rho. */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const diff = x - f;
  if (diff > 0.5) return f + 1;
  if (diff < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * The components a layer of `inFeatures` inputs keeps: round(r * rho), with rho above 1000 capped at
 * inFeatures // r (PEFT's guard against a huge rho); more than inFeatures is an error naming the layer.
 */
export function maxComponents(where: string, path: string, inFeatures: number, r: number, rho: number): number {
  const capped = rho > 1000 ? Math.min(rho, Math.floor(inFeatures / r)) : rho;
  const k = roundHalfEven(r * capped);
  if (k > inFeatures) {
    throw new ArgumentError(
      "r * rho",
      r * capped,
      `at most ${inFeatures}: ${path} has ${inFeatures} inputs, so it cannot keep round(r * rho) = ${k} components`,
      where,
    );
  }
  if (k < 1) throw new ArgumentError("r * rho", r * capped, `at least 1 component for ${path}`, where);
  return k;
}
