// Options of sr.diffprune.task and sr.diffprune.attribute: typed plain objects, the defaults in
// one place (TASK_DEFAULTS, ATTRIBUTE_DEFAULTS) and eager validation naming field, value and range.
//
// The reference trains BERT with lr 2e-5 and heads with 1e-4; the models here are small and
// trained from scratch on little data, so the defaults are larger (1e-3). The gate constants,
// log_alpha's init (5) and lr (0.1), the L0 weight per parameter (1.25e-7), the fixed-mask share
// (10%), the adversary (5 heads, dropout 0.3) and lambda (1) are the reference's.

import { ArgumentError } from "../errors.js";
import type { ParamMatch } from "../nn/paths.js";
import { POOLINGS, type Pooling } from "../nn/pool.js";

export const REGIMES = ["post", "par"] as const;
export type Regime = (typeof REGIMES)[number];

/** What every DiffPrune loop accepts. */
export interface LoopOptions {
  /** examples per step (default 32) */
  batchSize?: number;
  /** clip gradients to this global L2 norm (default 1; 0 = off) */
  clipNorm?: number;
  /** default 0 */
  seed?: number;
  /** no terminal progress bar (a notebook's progress display and onProgress still get events) */
  quiet?: boolean;
  /** stops the loop at its next step */
  signal?: AbortSignal;
  /** called after every step with its losses */
  onProgress?: (e: { step: number; steps: number; losses: Record<string, number> }) => void;
}

export interface TaskOptions extends LoopOptions {
  /** passes over the training split (default 5) */
  epochs?: number;
  /** the model's learning rate (default 1e-3) */
  lr?: number;
  /** the task head's (and adversaries') learning rate (default 1e-3) */
  headLr?: number;
  /** decoupled weight decay on matrices (default 0, as the reference) */
  weightDecay?: number;
  /** task head dropout (default 0.3) */
  dropout?: number;
  /** the representation: the last real token (the appended [CLS]; default) or the mean over real tokens */
  pooling?: Pooling;
  /** tokens per text, [CLS] included (default 64) */
  maxLength?: number;
  /** adversarial full fine-tuning: attributes whose adversaries train against the core through gradient reversal */
  adversarial?: string | string[];
  /** gradient reversal strength for `adversarial` (default 1) */
  lambda?: number;
}

export interface AttributeOptions extends LoopOptions {
  /** the protected attribute the subnetwork removes (a list trains one subnetwork each, or one for all with merged) */
  attribute: string | string[];
  /** the fixed mask's share of the subnetwork's parameters (default 0.1) */
  sparsity?: number;
  /** gradient reversal strength (default 1) */
  lambda?: number;
  /** "post": the core stays frozen (default); "par": each batch first takes a core step with subnetworks off */
  regime?: Regime;
  /** epochs with hard-concrete gates and the L0 penalty (default 5) */
  epochs?: number;
  /** epochs with the fixed mask, no L0 term (default 5) */
  fixEpochs?: number;
  /** the diff's learning rate (default 1e-3) */
  lr?: number;
  /** log_alpha's learning rate (default 0.1) */
  alphaLr?: number;
  /** the adversary's learning rate (default 1e-3) */
  adversaryLr?: number;
  /** PAR only: the core's learning rate (default 1e-3) */
  coreLr?: number;
  /** L0 penalty per parameter (default 1.25e-7) */
  l0Weight?: number;
  /** log_alpha's initial value (default 5: gates start open) */
  alphaInit?: number;
  /** adversary heads (default 5) */
  heads?: number;
  /** adversary dropout (default 0.3) */
  dropout?: number;
  /** the weights the subnetwork may change (default: every weight under "model.": embeddings, norms, linears) */
  params?: ParamMatch;
  /** with a list of attributes: one subnetwork that removes them all (default false: one each) */
  merged?: boolean;
  /** the subnetwork's name (default: the attribute, or the attributes joined by "+" when merged) */
  name?: string;
}

export const TASK_DEFAULTS = {
  epochs: 5,
  lr: 1e-3,
  headLr: 1e-3,
  weightDecay: 0,
  dropout: 0.3,
  pooling: "last" as Pooling,
  maxLength: 64,
  lambda: 1,
  batchSize: 32,
  clipNorm: 1,
  seed: 0,
};

export const ATTRIBUTE_DEFAULTS = {
  sparsity: 0.1,
  lambda: 1,
  regime: "post" as Regime,
  epochs: 5,
  fixEpochs: 5,
  lr: 1e-3,
  alphaLr: 0.1,
  adversaryLr: 1e-3,
  coreLr: 1e-3,
  l0Weight: 1.25e-7,
  alphaInit: 5,
  heads: 5,
  dropout: 0.3,
  merged: false,
  batchSize: 32,
  clipNorm: 1,
  seed: 0,
};

export type TaskConfig = typeof TASK_DEFAULTS & { adversarial: string[] } & Pick<LoopOptions, "quiet" | "signal" | "onProgress">;
export type AttributeConfig = typeof ATTRIBUTE_DEFAULTS & {
  attributes: string[];
  params?: ParamMatch;
  name?: string;
} & Pick<LoopOptions, "quiet" | "signal" | "onProgress">;

function checker(where: string) {
  const int = (f: string, v: unknown, min: number) => {
    if (typeof v !== "number" || !Number.isInteger(v) || v < min) throw new ArgumentError(f, v, `an integer >= ${min}`, where);
    return v;
  };
  const num = (f: string, v: unknown, lo: number, hi = Infinity, openLo = false) => {
    if (typeof v !== "number" || !Number.isFinite(v) || v < lo || v > hi || (openLo && v === lo)) {
      throw new ArgumentError(f, v, `a number in ${openLo ? "(" : "["}${lo}, ${hi === Infinity ? "inf)" : `${hi}]`}`, where);
    }
    return v;
  };
  const names = (f: string, v: unknown): string[] => {
    const xs = typeof v === "string" ? [v] : v;
    if (!Array.isArray(xs) || xs.some((x) => typeof x !== "string" || x === "") || new Set(xs).size !== xs.length) {
      throw new ArgumentError(f, v, "an attribute name or a list of distinct names", where);
    }
    return xs as string[];
  };
  const loop = (o: LoopOptions, d: { batchSize: number; clipNorm: number; seed: number }) => {
    if (o.onProgress !== undefined && typeof o.onProgress !== "function")
      throw new ArgumentError("onProgress", o.onProgress, "a function", where);
    if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) throw new ArgumentError("signal", o.signal, "an AbortSignal", where);
    return {
      batchSize: int("batchSize", o.batchSize ?? d.batchSize, 1),
      clipNorm: num("clipNorm", o.clipNorm ?? d.clipNorm, 0),
      seed: int("seed", o.seed ?? d.seed, 0),
      quiet: o.quiet ?? false,
      signal: o.signal,
      onProgress: o.onProgress,
    };
  };
  return { int, num, names, loop };
}

export function taskConfig(o: TaskOptions = {}): TaskConfig {
  if (typeof o !== "object" || o === null) throw new ArgumentError("(options)", o, "an object", "diffprune.task");
  const { int, num, names, loop } = checker("diffprune.task");
  const d = TASK_DEFAULTS;
  const pooling = o.pooling ?? d.pooling;
  if (!POOLINGS.includes(pooling)) throw new ArgumentError("pooling", pooling, `one of ${POOLINGS.join(", ")}`, "diffprune.task");
  return {
    ...loop(o, d),
    epochs: int("epochs", o.epochs ?? d.epochs, 1),
    lr: num("lr", o.lr ?? d.lr, 0, Infinity, true),
    headLr: num("headLr", o.headLr ?? d.headLr, 0, Infinity, true),
    weightDecay: num("weightDecay", o.weightDecay ?? d.weightDecay, 0),
    dropout: num("dropout", o.dropout ?? d.dropout, 0, 0.99),
    pooling,
    maxLength: int("maxLength", o.maxLength ?? d.maxLength, 2),
    lambda: num("lambda", o.lambda ?? d.lambda, 0),
    adversarial: o.adversarial === undefined ? [] : names("adversarial", o.adversarial),
  };
}

export function attributeConfig(o: AttributeOptions): AttributeConfig {
  if (typeof o !== "object" || o === null) throw new ArgumentError("(options)", o, "an object with attribute", "diffprune.attribute");
  const { int, num, names, loop } = checker("diffprune.attribute");
  const d = ATTRIBUTE_DEFAULTS;
  const regime = o.regime ?? d.regime;
  if (!REGIMES.includes(regime)) throw new ArgumentError("regime", regime, `one of ${REGIMES.join(", ")}`, "diffprune.attribute");
  const attributes = names("attribute", o.attribute);
  if (attributes.length === 0) throw new ArgumentError("attribute", o.attribute, "at least one attribute", "diffprune.attribute");
  const merged = o.merged ?? d.merged;
  if (typeof merged !== "boolean") throw new ArgumentError("merged", merged, "true or false", "diffprune.attribute");
  if (o.name !== undefined && (typeof o.name !== "string" || o.name === "" || (!merged && attributes.length > 1))) {
    throw new ArgumentError("name", o.name, "a non-empty string, for one attribute or a merged subnetwork", "diffprune.attribute");
  }
  return {
    ...loop(o, d),
    attributes,
    merged,
    name: o.name,
    params: o.params,
    sparsity: num("sparsity", o.sparsity ?? d.sparsity, 0, 1, true),
    lambda: num("lambda", o.lambda ?? d.lambda, 0),
    regime,
    epochs: int("epochs", o.epochs ?? d.epochs, 1),
    fixEpochs: int("fixEpochs", o.fixEpochs ?? d.fixEpochs, 0),
    lr: num("lr", o.lr ?? d.lr, 0, Infinity, true),
    alphaLr: num("alphaLr", o.alphaLr ?? d.alphaLr, 0, Infinity, true),
    adversaryLr: num("adversaryLr", o.adversaryLr ?? d.adversaryLr, 0, Infinity, true),
    coreLr: num("coreLr", o.coreLr ?? d.coreLr, 0, Infinity, true),
    l0Weight: num("l0Weight", o.l0Weight ?? d.l0Weight, 0),
    alphaInit: num("alphaInit", o.alphaInit ?? d.alphaInit, -Infinity),
    heads: int("heads", o.heads ?? d.heads, 1),
    dropout: num("dropout", o.dropout ?? d.dropout, 0, 0.99),
  };
}
