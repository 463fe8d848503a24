// What DiffPrune's training loops share: an AdamW step over an explicit set of variables (each with
// its own learning rate), shuffled batches, progress through the SDK's progress sink, a per-step
// loss log that displays as a chart, and the stopping point every step passes.
//
// The loops step several optimizers in turn on one batch (PAR: the core, then each subnetwork), so
// they do not go through sr.train.fit; they use its parts (AdamW, clipping, gradients of chosen
// variables, the progress sink).

import type * as tf from "@tensorflow/tfjs-core";
import { AdamW } from "../train/adamw.js";
import { clipByGlobalNorm } from "../train/clip.js";
import { gradientsOf } from "../train/grads.js";
import { decays } from "../train/params.js";
import { mulberry32, subSeed } from "../nn/random.js";
import { line, DISPLAY, type MimeBundle } from "../viz/index.js";

export interface StepParam {
  variable: tf.Variable;
  lr: number;
  weightDecay: number;
}

/** name -> param for a group of variables sharing an lr; decay only on matrices (as sr.train.fit). */
export function group(vars: Iterable<[string, tf.Variable]>, lr: number, weightDecay: number): Map<string, StepParam> {
  return new Map([...vars].map(([n, v]) => [n, { variable: v, lr, weightDecay: decays(v) ? weightDecay : 0 }]));
}

/** AdamW over exactly `params`, gradients clipped to a global norm. A fresh Stepper is a fresh optimizer. */
export class Stepper {
  private readonly opt = new AdamW();
  private readonly vars: tf.Variable[];
  private readonly nameOf: Map<string, string>;
  private readonly variables: Map<string, tf.Variable>;

  constructor(
    private readonly params: Map<string, StepParam>,
    private readonly clipNorm: number,
  ) {
    this.vars = [...params.values()].map((p) => p.variable);
    this.nameOf = new Map([...params].map(([n, p]) => [p.variable.name, n]));
    this.variables = new Map([...params].map(([n, p]) => [n, p.variable]));
  }

  /** One update from the gradient of loss() (run now); returns the loss. */
  step(loss: () => tf.Scalar): number {
    const { value, grads } = gradientsOf(loss, this.vars);
    const v = value.dataSync()[0];
    value.dispose();
    const named = new Map(Object.entries(grads).map(([vn, g]) => [this.nameOf.get(vn)!, g]));
    const clipped = clipByGlobalNorm(named, this.clipNorm).grads;
    this.opt.apply(this.variables, clipped, (n) => this.params.get(n)!);
    for (const g of clipped.values()) g.dispose();
    return v;
  }

  dispose(): void {
    this.opt.dispose();
  }
}

/** Example indices in batches, shuffled per epoch from (seed, epoch); the last batch may be short. */
export function shuffledBatches(n: number, batchSize: number, seed: number, epoch: number): number[][] {
  const rng = mulberry32(subSeed(seed, `epoch.${epoch}`));
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const out: number[][] = [];
  for (let i = 0; i < n; i += batchSize) out.push(order.slice(i, i + batchSize));
  return out;
}

/**
 * Where a loop may stop: at the start of every step. Stops when `signal` has fired. The SDK's
 * shared cancellation check (a notebook interrupt stopping SDK loops) belongs in this one function.
 */
export function stopPoint(where: string, signal?: AbortSignal): void {
  if (signal?.aborted) {
    const e = new Error(`${where}: interrupted`);
    e.name = "InterruptedError";
    throw e;
  }
}

/** Let the event loop run (progress displays, interrupts) between steps. */
export const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Per-step losses by name ("task", "adversary", "l0", ...); displays as a line chart. */
export class LossLog {
  readonly series = new Map<string, number[]>();

  add(values: Record<string, number>): void {
    for (const [k, v] of Object.entries(values)) {
      if (!this.series.has(k)) this.series.set(k, []);
      this.series.get(k)!.push(v);
    }
  }

  /** The mean of the last `n` values of a series (NaN when it has none). */
  recent(name: string, n = 20): number {
    const xs = this.series.get(name)?.slice(-n) ?? [];
    return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN;
  }

  toJSON(): Record<string, number[]> {
    return Object.fromEntries(this.series);
  }

  [DISPLAY](): MimeBundle {
    const values = [...this.series].flatMap(([loss, xs]) => xs.map((value, i) => ({ step: i + 1, value, loss })));
    if (values.length === 0) return { "text/plain": "<LossLog: no steps>" };
    return line({ values, x: "step", y: "value", color: "loss", title: "training losses", zero: false })[DISPLAY]();
  }
}
