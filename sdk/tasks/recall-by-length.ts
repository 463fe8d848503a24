// Recall against context length: the needle-in-a-haystack sweep. At every length the same pairs
// and queries are asked; only the filler around them grows. The points are rows {length, accuracy,
// n} (and a model name when several models are compared), shown as a line chart and a table.

import type { Model } from "../models/model.js";
import { DISPLAY, Table, line, type Chart, type MimeBundle } from "../viz/index.js";
import { recall, recallMinLength, type RecallOptions } from "./recall.js";
import { Task, type ScoreOptions } from "./task.js";

export interface RecallByLengthOptions extends ScoreOptions {
  /** recall's pairs and queries (default: the task's defaults; length comes from the sweep) */
  options?: Partial<Pick<RecallOptions, "pairs" | "queries">>;
  /** default 0 */
  seed?: number;
}

export interface RecallPoint {
  /** set when several models share one curve */
  model?: string;
  length: number;
  accuracy: number;
  n: number;
}

/** The recall task at one context length: every example exactly `length` tokens. */
export function recallAt(length: number, opts: Pick<RecallByLengthOptions, "options" | "seed" | "n"> = {}): Task<RecallOptions> {
  return new Task(recall, { ...opts.options, length, maxLength: 0 }, opts.seed ?? 0, opts.n ?? 200);
}

/** Exact match of `model` on recall at each context length (held-out examples, greedy verdict). */
export async function recallByLength(model: Model, lengths: number[], opts: RecallByLengthOptions = {}): Promise<RecallCurve> {
  if (!Array.isArray(lengths) || lengths.length === 0) throw new Error("recallByLength: lengths must be a non-empty array of token counts");
  const { pairs, queries } = { ...recall.defaults, ...opts.options };
  const shortest = recallMinLength(pairs, queries);
  for (const L of lengths) {
    if (!Number.isInteger(L) || L < shortest)
      throw new Error(
        `recallByLength: length ${L}: expected an integer >= ${shortest} (${pairs} pairs and ${queries} queries need that many tokens)`,
      );
    if (L > model.config.maxSeq) throw new Error(`recallByLength: length ${L} is over the model's maxSeq = ${model.config.maxSeq}`);
  }
  const rows: RecallPoint[] = [];
  for (const L of lengths) {
    const s = await recallAt(L, opts).score(model, opts);
    rows.push({ length: L, accuracy: s.accuracy, n: s.n });
  }
  return new RecallCurve(rows);
}

export class RecallCurve {
  constructor(readonly rows: RecallPoint[]) {}

  /** The lowest accuracy over the sweep. */
  get min(): number {
    return Math.min(...this.rows.map((r) => r.accuracy));
  }

  accuracy(length: number, model?: string): number | undefined {
    return this.rows.find((r) => r.length === length && r.model === model)?.accuracy;
  }

  chart(): Chart {
    const several = this.rows.some((r) => r.model !== undefined);
    return line({
      values: this.rows,
      x: "length",
      y: "accuracy",
      ...(several ? { color: "model" } : {}),
      title: "associative recall against context length",
      xTitle: "context length (tokens)",
      yTitle: "exact match",
    });
  }

  table(): Table {
    return new Table(this.rows, { format: { accuracy: (x: number) => `${(100 * x).toFixed(1)}%` } });
  }

  toJSON(): RecallPoint[] {
    return this.rows;
  }

  toString(): string {
    return this.rows
      .map(
        (r) =>
          `${r.model ? `${r.model}  ` : ""}${String(r.length).padStart(5)} tokens  ${(100 * r.accuracy).toFixed(1).padStart(5)}%  (n=${r.n})`,
      )
      .join("\n");
  }

  /** The chart, with the table as HTML and the numbers as text for frontends without Vega-Lite. */
  [DISPLAY](): MimeBundle {
    return { ...this.table()[DISPLAY](), ...this.chart()[DISPLAY](), "text/plain": this.toString() };
  }
}
