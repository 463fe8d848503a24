// Needle-in-a-haystack recall against context length for several models: where a linear-attention
// student loses to its teacher (the paper's known weakness: 0.69 at 1K tokens, 0.15 at 4K).

import { ArgumentError } from "../errors.js";
import { Model } from "../models/model.js";
import type { ScoreOptions } from "../tasks/task.js";
import type { Chart } from "../viz/chart.js";
import { line } from "../viz/line.js";
import { DISPLAY, DISPLAY_PARTS, type MimeBundle } from "../viz/mime.js";
import { Table } from "../viz/table.js";
import { throwIfCancelled } from "../runtime/cancel.js";
import { recall } from "../tasks/recall.js";
import { needleAt, needleMinLength } from "./needle.js";

export interface RecallByLengthOptions extends Pick<ScoreOptions, "batchSize"> {
  /** pairs in the haystack (default: the suite's recall, 8) */
  pairs?: number;
  /** keys asked (default: the suite's recall, 4) */
  queries?: number;
  /** examples per length (default 100) */
  n?: number;
  /** default 0 */
  seed?: number;
}

export interface RecallPoint {
  model: string;
  length: number;
  accuracy: number;
  n: number;
}

export class RecallByLength {
  constructor(readonly rows: readonly RecallPoint[]) {}

  /** The lowest accuracy over every model and length. */
  get min(): number {
    return Math.min(...this.rows.map((r) => r.accuracy));
  }

  accuracy(model: string, length: number): number | undefined {
    return this.rows.find((r) => r.model === model && r.length === length)?.accuracy;
  }

  chart(): Chart {
    return line({
      values: this.rows,
      x: "length",
      y: "accuracy",
      color: "model",
      title: "needle in a haystack: recall against context length",
      xTitle: "context length (tokens)",
      yTitle: "exact match",
    });
  }

  table(): Table {
    return new Table(
      this.rows.map((r) => ({ ...r })),
      { format: { accuracy: (x: number) => `${(100 * x).toFixed(1)}%` } },
    );
  }

  toJSON() {
    return this.rows;
  }

  toString(): string {
    return this.table().toMarkdown();
  }

  [DISPLAY](): MimeBundle {
    return { ...this.table()[DISPLAY](), ...this.chart()[DISPLAY](), "text/plain": this.toString() };
  }

  /** The table, then the chart: two outputs in Stillroom's kernel. */
  [DISPLAY_PARTS](): MimeBundle[] {
    return [{ ...this.table()[DISPLAY](), "text/plain": this.toString() }, this.chart()[DISPLAY]()];
  }
}

/** Exact match of every model ({name: model}) on recall at each context length (teacher-forced verdict). */
export async function recallByLength(
  models: Record<string, Model>,
  lengths: number[],
  opts: RecallByLengthOptions = {},
): Promise<RecallByLength> {
  const w = "recallByLength";
  if (typeof models !== "object" || models === null || Object.keys(models).length === 0) {
    throw new ArgumentError("models", models, "{name: model, ...} with at least one model", w);
  }
  for (const [n, m] of Object.entries(models)) if (!(m instanceof Model)) throw new ArgumentError(`models.${n}`, m, "a model", w);
  if (!Array.isArray(lengths) || lengths.length === 0) throw new ArgumentError("lengths", lengths, "a non-empty array of token counts", w);
  const pairs = opts.pairs ?? recall.defaults.pairs;
  const queries = opts.queries ?? recall.defaults.queries;
  const shortest = needleMinLength(pairs, queries);
  const longest = Math.min(...Object.values(models).map((m) => m.config.maxSeq));
  lengths.forEach((L, i) => {
    if (!Number.isInteger(L) || L < shortest || L > longest) {
      throw new ArgumentError(
        `lengths[${i}]`,
        L,
        `an integer in [${shortest}, ${longest}] (${pairs} pairs and ${queries} ${queries === 1 ? "query" : "queries"} need ${shortest} tokens; the models' context is ${longest})`,
        w,
      );
    }
  });
  const rows: RecallPoint[] = [];
  for (const [name, model] of Object.entries(models)) {
    for (const L of lengths) {
      throwIfCancelled(`recallByLength: ${name} at ${L} tokens`);
      const s = await needleAt(L, { pairs, queries, seed: opts.seed, n: opts.n }).score(model, { batchSize: opts.batchSize });
      rows.push({ model: name, length: L, accuracy: s.accuracy, n: s.n });
    }
  }
  return new RecallByLength(rows);
}
