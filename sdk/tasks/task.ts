// A task: a spec with its options and seed. Examples are pure functions of (seed, split, index), so
// the train and eval splits never share a stream; batches put loss on the answer tokens only.

import * as tf from "@tensorflow/tfjs-core";
import type { Model } from "../models/model.js";
import { streamOf, type BatchStream } from "../train/batches.js";
import { IGNORE_INDEX } from "../train/loss.js";
import type { Batch } from "../train/data.js";
import { PAD, tokenizer } from "./vocab.js";
import { rngFor } from "./rng.js";
import { throwIfCancelled } from "../runtime/cancel.js";
import { isGiven, type Example, type TaskSpec } from "./spec.js";

export type Split = "train" | "eval";

export interface TaskBatchesOptions {
  /** default 16 */
  batchSize?: number;
  /** pad every row to this length (default: the batch's longest example) */
  seqLen?: number;
  /** default: the task's seed */
  seed?: number;
}

export interface ScoreOptions {
  /** eval examples (default: the task's n, 200) */
  n?: number;
  /** rows per forward (default 64) */
  batchSize?: number;
  /** "forced": one teacher-forced forward, exact match of every argmax (same verdict as greedy decoding);
   *  "generate": model.generate at temperature 0 */
  method?: "forced" | "generate";
  /** stops scoring at the next batch (so does interrupting the notebook cell); see sr.runtime */
  signal?: AbortSignal;
}

export interface TaskScore {
  task: string;
  accuracy: number;
  n: number;
}

/** One row of a batch: ids padded with <pad>, labels -100 except on the predicted answer tokens. */
export function exampleRow(e: Example, T: number): { ids: number[]; labels: number[] } {
  const L = e.prompt.length + e.answer.length;
  if (L > T) throw new Error(`tasks: an example has ${L} tokens, more than seqLen = ${T}`);
  const ids = [...e.prompt, ...e.answer, ...Array(T - L).fill(PAD)];
  const labels = [
    ...e.prompt.map(() => IGNORE_INDEX),
    ...e.answer.map((a, j) => (isGiven(e, j) ? IGNORE_INDEX : a)),
    ...Array(T - L).fill(IGNORE_INDEX),
  ];
  return { ids, labels };
}

/** A batch of examples: ids and labels, padded to seqLen (default: the longest example). Trailing
 *  padding changes nothing before it (attention is causal), so a batch needs no more. */
export function rowsOf(examples: Example[], seqLen?: number): Batch {
  const T = seqLen ?? Math.max(...examples.map((e) => e.prompt.length + e.answer.length));
  const rows = examples.map((e) => exampleRow(e, T));
  return { ids: rows.map((r) => r.ids), labels: rows.map((r) => r.labels) };
}

/** Per row of a batch: is every labelled token (label != -100) the argmax after its prefix?
 *  pred: the argmax ids [rows, T] of a forward over the batch's ids. */
export function rowHits(labels: number[][], pred: ArrayLike<number>): boolean[] {
  const T = labels[0]?.length ?? 0;
  return labels.map((row, b) => row.every((y, t) => y === IGNORE_INDEX || (t > 0 && pred[b * T + t - 1] === y)));
}

/** Teacher-forced inputs of a chunk of examples: prompt + answer without its last token, padded. */
export function forcedInputs(chunk: Example[]): { ids: number[][]; width: number } {
  const width = Math.max(...chunk.map((e) => e.prompt.length + e.answer.length - 1));
  const ids = chunk.map((e) => [...e.prompt, ...e.answer.slice(0, -1)]).map((r) => [...r, ...Array<number>(width - r.length).fill(PAD)]);
  return { ids, width };
}

/** Per example: is every predicted answer token the argmax after its prefix? pred: argmax ids [chunk, width]. */
export function forcedHits(chunk: Example[], pred: ArrayLike<number>, width: number): boolean[] {
  return chunk.map((e, b) => e.answer.every((a, j) => isGiven(e, j) || pred[b * width + e.prompt.length - 1 + j] === a));
}

/** Exact-match of answers under teacher forcing: every answer token is the argmax after its prefix. */
export async function forcedMatches(model: Model, examples: Example[], batchSize = 64, signal?: AbortSignal): Promise<boolean[]> {
  const out: boolean[] = [];
  for (let s = 0; s < examples.length; s += batchSize) {
    throwIfCancelled(`score: example ${s + 1} of ${examples.length}`, signal, out);
    const chunk = examples.slice(s, s + batchSize);
    const { ids, width } = forcedInputs(chunk);
    const am = tf.tidy(() => tf.argMax(model.logits(ids, { training: false }), -1)); // [B, width]
    const pred = (await am.data()) as Int32Array;
    am.dispose();
    out.push(...forcedHits(chunk, pred, width));
  }
  return out;
}

/** Exact match under greedy decoding: each run of predicted answer tokens is generated from the
 *  prompt and the answer so far; given tokens are appended as they come, as a user's next query is. */
export async function generatedMatches(model: Model, examples: Example[], batchSize = 64, signal?: AbortSignal): Promise<boolean[]> {
  const out: boolean[] = [];
  for (let s = 0; s < examples.length; s += batchSize) {
    throwIfCancelled(`score: example ${s + 1} of ${examples.length}`, signal, out);
    const chunk = examples.slice(s, s + batchSize);
    const ok = chunk.map(() => true);
    const prefix = chunk.map((e) => [...e.prompt]);
    const at = chunk.map(() => 0);
    for (;;) {
      // feed given tokens, then find each live example's next run of predicted tokens
      const runs = chunk.map((e, b) => {
        while (at[b] < e.answer.length && isGiven(e, at[b])) prefix[b].push(e.answer[at[b]++]);
        let r = 0;
        while (at[b] + r < e.answer.length && !isGiven(e, at[b] + r)) r++;
        return ok[b] ? r : 0;
      });
      const live = runs.flatMap((r, b) => (r > 0 ? [b] : []));
      if (live.length === 0) break;
      const gen = (await model.generate(
        live.map((b) => prefix[b]),
        { maxNewTokens: Math.max(...live.map((b) => runs[b])), temperature: 0, eosTokenId: null, signal },
      )) as number[][];
      live.forEach((b, k) => {
        const want = chunk[b].answer.slice(at[b], at[b] + runs[b]);
        ok[b] = want.every((a, j) => gen[k][j] === a);
        prefix[b].push(...want);
        at[b] += runs[b];
      });
    }
    out.push(...ok);
  }
  return out;
}

export class Task<O extends object = object> {
  readonly options: Readonly<O>;
  private maxLen = 0;

  constructor(
    readonly spec: TaskSpec<O>,
    options: Partial<O> = {},
    readonly seed = 0,
    readonly n = 200,
  ) {
    for (const k of Object.keys(options)) {
      if (!(k in spec.defaults))
        throw new Error(`tasks.${spec.name}: no option "${k}" (options: ${Object.keys(spec.defaults).join(", ")})`);
    }
    const o = { ...spec.defaults, ...options } as O;
    spec.validate(o);
    this.options = Object.freeze(o);
  }

  get name(): string {
    return this.spec.name;
  }

  example(index: number, split: Split = "eval"): Example {
    return this.spec.generate(rngFor(this.seed, `${this.spec.name}:${split}:${index}`), this.options as O);
  }

  /** n examples of a split (default: eval), from `offset`. */
  examples(n = this.n, opts: { split?: Split; offset?: number } = {}): Example[] {
    return Array.from({ length: n }, (_, i) => this.example((opts.offset ?? 0) + i, opts.split ?? "eval"));
  }

  /** The longest prompt + answer (over the first 256 train examples; exact for fixed-length tasks). */
  get seqLen(): number {
    if (!this.maxLen) {
      for (let i = 0; i < 256; i++) {
        const e = this.example(i, "train");
        this.maxLen = Math.max(this.maxLen, e.prompt.length + e.answer.length);
      }
    }
    return this.maxLen;
  }

  /** Training batches (train split): batch i is a pure function of (seed, i). */
  batches(opts: TaskBatchesOptions = {}): BatchStream {
    const B = opts.batchSize ?? 16;
    const t = opts.seed === undefined ? this : new Task(this.spec, this.options as O, opts.seed, this.n);
    return streamOf(
      (i): Batch =>
        rowsOf(
          Array.from({ length: B }, (_, b) => t.example(i * B + b, "train")),
          opts.seqLen,
        ),
    );
  }

  /** Exact-match accuracy on the eval split. */
  async score(model: Model, opts: ScoreOptions = {}): Promise<TaskScore> {
    const n = opts.n ?? this.n;
    const ex = this.examples(n);
    const hits =
      opts.method === "generate"
        ? await generatedMatches(model, ex, opts.batchSize, opts.signal)
        : await forcedMatches(model, ex, opts.batchSize, opts.signal);
    return { task: this.name, accuracy: hits.filter(Boolean).length / n, n };
  }

  /** An example as text: "prompt => answer", given answer tokens in brackets. */
  show(index = 0, split: Split = "eval"): string {
    const e = this.example(index, split);
    const answer = e.answer.map((a, j) => (isGiven(e, j) ? `[${tokenizer.decode([a])}]` : tokenizer.decode([a])));
    return `${tokenizer.decode(e.prompt)} => ${answer.join(" ")}`;
  }

  toString(): string {
    return `Task(${this.name}, ${JSON.stringify(this.options)})`;
  }
}
