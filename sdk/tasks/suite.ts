// A suite of tasks sharing one vocabulary: mixed training batches and a score table.

import type { Model } from "../models/model.js";
import { streamOf, type BatchStream } from "../train/batches.js";
import { rngFor } from "./rng.js";
import { throwIfCancelled } from "../runtime/cancel.js";
import { SPECS, TASK_NAMES } from "./registry.js";
import { SuiteScore } from "./score-table.js";
import { rowsOf, Task, type ScoreOptions, type TaskBatchesOptions } from "./task.js";

export interface SuiteOptions {
  /** default 0 */
  seed?: number;
  /** eval examples per task (default 200) */
  n?: number;
  /** per-task options, e.g. {recall: {pairs: 4}} */
  options?: Record<string, object>;
}

export interface SuiteBatchesOptions extends TaskBatchesOptions {
  /** each task's share of the rows, relative (default 1 each); a task left out keeps 1 */
  weights?: Record<string, number>;
  /** one task per batch, drawn by `weights` (default false: a task per row). Slower to learn from,
   *  but a batch pads only to its own task's longest row: cheaper when one task is much longer. */
  byTask?: boolean;
}

export class Suite implements Iterable<Task> {
  constructor(
    readonly tasks: Task[],
    readonly seed: number,
  ) {}

  [Symbol.iterator](): Iterator<Task> {
    return this.tasks[Symbol.iterator]();
  }

  task(name: string): Task {
    const t = this.tasks.find((x) => x.name === name);
    if (!t) throw new Error(`suite: no task "${name}" (have: ${this.tasks.map((x) => x.name).join(", ")})`);
    return t;
  }

  get names(): string[] {
    return this.tasks.map((t) => t.name);
  }

  get seqLen(): number {
    return Math.max(...this.tasks.map((t) => t.seqLen));
  }

  /** Mixed batches: each row from a task drawn by `weights` (default: uniformly), padded to the
   *  batch's longest row unless seqLen is given; batch i is a pure function of (seed, i). Rows are
   *  mixed within a batch: one task per batch trained far slower (bench/README.md), unless `byTask`. */
  batches(opts: SuiteBatchesOptions = {}): BatchStream {
    const B = opts.batchSize ?? 16;
    const seed = opts.seed ?? this.seed;
    const cumulative = this.cumulativeWeights(opts.weights);
    const total = cumulative.at(-1)!;
    return streamOf((i) => {
      const rng = rngFor(seed, `suite:${i}`);
      const draw = () => {
        const r = rng() * total;
        return this.tasks[cumulative.findIndex((c) => c > r)];
      };
      const one = opts.byTask ? draw() : undefined;
      const examples = Array.from({ length: B }, (_, b) => (one ?? draw()).example((i * B + b) * 7919 + seed, "train"));
      return rowsOf(examples, opts.seqLen);
    });
  }

  /** Running sums of the tasks' weights, in suite order; unknown names and bad weights are refused. */
  private cumulativeWeights(weights: Record<string, number> = {}): number[] {
    for (const [k, w] of Object.entries(weights)) {
      if (!this.names.includes(k)) throw new Error(`suite: a weight for "${k}", which is not in the suite (${this.names.join(", ")})`);
      if (typeof w !== "number" || !Number.isFinite(w) || w < 0)
        throw new Error(`suite: weights.${k} = ${String(w)}: expected a number >= 0`);
    }
    let sum = 0;
    const out = this.names.map((n) => (sum += weights[n] ?? 1));
    if (!(sum > 0)) throw new Error("suite: every task has weight 0");
    return out;
  }

  async score(model: Model, opts: ScoreOptions = {}): Promise<SuiteScore> {
    const rows = [];
    for (const t of this.tasks) {
      throwIfCancelled(`score: task ${t.name}`, opts.signal, rows);
      rows.push(await t.score(model, opts));
    }
    return new SuiteScore(rows);
  }
}

/** Tasks by name (default: all seven), seeded. */
export function suite(names: string[] = TASK_NAMES, opts: SuiteOptions = {}): Suite {
  const seed = opts.seed ?? 0;
  for (const n of names) if (!(n in SPECS)) throw new Error(`suite: no task "${n}" (tasks: ${TASK_NAMES.join(", ")})`);
  for (const k of Object.keys(opts.options ?? {}))
    if (!names.includes(k)) throw new Error(`suite: options for "${k}", which is not in the suite (${names.join(", ")})`);
  return new Suite(
    names.map((n) => new Task(SPECS[n], (opts.options?.[n] ?? {}) as object, seed, opts.n ?? 200)),
    seed,
  );
}

/** One task by name. */
export function task(name: string, options: object = {}, opts: { seed?: number; n?: number } = {}): Task {
  if (!(name in SPECS)) throw new Error(`tasks: no task "${name}" (tasks: ${TASK_NAMES.join(", ")})`);
  return new Task(SPECS[name], options, opts.seed ?? 0, opts.n ?? 200);
}
