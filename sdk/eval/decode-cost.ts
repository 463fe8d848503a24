// What decoding costs at a given context length: milliseconds per decoding step (a batch of B rows,
// after a prompt of `context` tokens) and the bytes each model keeps to decode on (a transformer's
// KV cache grows with the context; the hybrid student's state does not), with the prompt's prefill
// throughput. The same decoding cache and forward that generate() uses.

import * as tf from "@tensorflow/tfjs-core";
import { ArgumentError } from "../errors.js";
import { Model } from "../models/model.js";
import { DecodeCache, KVState, type LayerState } from "../nn/kv-cache.js";
import { mulberry32 } from "../nn/random.js";
import type { Chart } from "../viz/chart.js";
import { line } from "../viz/line.js";
import { DISPLAY, DISPLAY_PARTS, type MimeBundle } from "../viz/mime.js";
import { Table } from "../viz/table.js";
import { throwIfCancelled } from "../runtime/cancel.js";

export interface DecodeCostOptions {
  /** context lengths: the prompt before the timed tokens */
  contexts: number[];
  /** rows decoded together (default 1) */
  batch?: number;
  /** tokens timed per model after the prompt (default 16), after `warmup` untimed ones (default 2) */
  tokens?: number;
  warmup?: number;
  /** the timed tokens are split into this many turns per model, the models alternating (default 4) */
  rounds?: number;
  /** the prompt runs through the cache in chunks of at most this many tokens (default 256), as long prompts are prefilled */
  chunk?: number;
  /** default 0 */
  seed?: number;
  /** called with each context's rows as soon as they are measured */
  onRow?: (rows: DecodeCostRow[]) => void;
}

export interface DecodeCostRow {
  model: string;
  /** positions in the cache when the timed tokens start */
  context: number;
  batch: number;
  /** wall time per decoding step (one token for each of the batch's rows), the median over the rounds */
  msPerToken: number;
  /** generated tokens per second over all rows */
  tokensPerSecond: number;
  /** prompt tokens per second over all rows, extending the prompt from the previous context to this one (NaN when none was added) */
  prefillTokensPerSecond: number;
  /** decoding state after the timed tokens, MB (float32) */
  stateMB: number;
}

/** Bytes a layer's decoding state holds: a KV cache's keys and values, or what the state reports. */
export function stateBytes(s: LayerState | undefined): number {
  if (!s) return 0;
  if (s instanceof KVState) return 4 * ((s.k?.size ?? 0) + (s.v?.size ?? 0));
  const b = (s as { bytes?: unknown }).bytes;
  return typeof b === "number" ? b : 0;
}

export class DecodeCost {
  constructor(readonly rows: readonly DecodeCostRow[]) {}

  chart(field: "msPerToken" | "tokensPerSecond" | "stateMB" = "msPerToken"): Chart {
    const titles = { msPerToken: "ms per decoding step", tokensPerSecond: "decoded tokens per second", stateMB: "decoding state (MB)" };
    return line({
      values: this.rows,
      x: "context",
      y: field,
      color: "model",
      title: `${titles[field]} against context length`,
      xTitle: "context (tokens)",
      yTitle: titles[field],
    });
  }

  table(): Table {
    const f1 = (x: number) => x.toFixed(1);
    return new Table(
      this.rows.map((r) => ({ ...r })),
      {
        format: {
          msPerToken: (x: number) => x.toFixed(2),
          tokensPerSecond: f1,
          prefillTokensPerSecond: f1,
          stateMB: (x: number) => x.toFixed(3),
        },
      },
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

async function oneForward(model: Model, cache: DecodeCache, ids: number[][]): Promise<void> {
  const [B, T] = [ids.length, ids[0]!.length];
  const pos = ids.map(() => Array.from({ length: T }, (_, t) => cache.length + t));
  const y = tf.tidy(() =>
    model.forward(tf.tensor2d(ids, [B, T], "int32"), {
      positions: tf.tensor2d(pos, [B, T], "int32"),
      keyMask: null,
      cache,
      lastOnly: true,
      training: false,
    }),
  );
  cache.length += T;
  await y.data(); // wait for the work, as generate does before sampling
  y.dispose();
}

/**
 * Decoding cost of each model ({name: model}) at each context length. The models keep one cache
 * each, grown together through the contexts in increasing order: at each context every prompt is
 * extended (in chunks) to it, then the models take turns decoding `tokens / rounds` steps each for
 * `rounds` rounds, so that noise from other work on the machine falls on all of them alike; a step's
 * time is the median over the rounds. The whole sweep costs one prefill of the longest context.
 */
export async function decodeCost(models: Record<string, Model>, opts: DecodeCostOptions): Promise<DecodeCost> {
  const w = "decodeCost";
  const entries = Object.entries(models ?? {});
  if (entries.length === 0) throw new ArgumentError("models", models, "{name: model, ...} with at least one model", w);
  for (const [n, m] of entries) if (!(m instanceof Model)) throw new ArgumentError(`models.${n}`, m, "a model", w);
  const contexts = opts?.contexts;
  if (!Array.isArray(contexts) || contexts.length === 0)
    throw new ArgumentError("contexts", contexts, "a non-empty array of token counts", w);
  const B = opts.batch ?? 1;
  const rounds = opts.rounds ?? 4;
  const tokens = opts.tokens ?? 16;
  const warmup = opts.warmup ?? 2;
  const chunk = opts.chunk ?? 256;
  for (const [k, v] of Object.entries({ batch: B, tokens, chunk, rounds }))
    if (!Number.isInteger(v) || v < 1) throw new ArgumentError(k, v, "an integer >= 1", w);
  const perRound = Math.max(1, Math.round(tokens / rounds));
  const sorted = [...contexts].sort((a, b) => a - b);
  const decoded = contexts.length * (warmup + rounds * perRound); // tokens the sweep adds after the prompts
  for (const [name, model] of entries) {
    const room = model.config.maxSeq - decoded;
    for (const S of sorted) {
      if (!Number.isInteger(S) || S < 1 || S > room) {
        throw new ArgumentError(
          "contexts",
          S,
          `integers in [1, ${room}] (${name}'s maxSeq ${model.config.maxSeq} less the ${decoded} tokens the sweep decodes)`,
          w,
        );
      }
    }
  }
  const rng = mulberry32(opts.seed ?? 0);
  const draw = (T: number, V: number) => Array.from({ length: B }, () => Array.from({ length: T }, () => Math.floor(rng() * V)));
  const caches = entries.map(([, m]) => new DecodeCache(m.config.nLayers));
  const rows: DecodeCostRow[] = [];
  try {
    for (const S of sorted) {
      const prefill: { from: number; context: number; ms: number }[] = [];
      for (const [i, [name, model]] of entries.entries()) {
        const cache = caches[i]!;
        const from = cache.length;
        const t0 = performance.now();
        while (cache.length < S) {
          throwIfCancelled(`decodeCost: ${name}, prompt of ${S}`);
          await oneForward(model, cache, draw(Math.min(chunk, S - cache.length), model.config.vocabSize));
        }
        prefill.push({ from, context: cache.length, ms: performance.now() - t0 });
      }
      const samples: number[][] = entries.map(() => []);
      for (const [i, [, model]] of entries.entries())
        for (let t = 0; t < warmup; t++) await oneForward(model, caches[i]!, draw(1, model.config.vocabSize));
      for (let r = 0; r < rounds; r++) {
        for (const [i, [name, model]] of entries.entries()) {
          throwIfCancelled(`decodeCost: ${name} at ${S}`);
          const t0 = performance.now();
          for (let t = 0; t < perRound; t++) await oneForward(model, caches[i]!, draw(1, model.config.vocabSize));
          samples[i]!.push((performance.now() - t0) / perRound);
        }
      }
      entries.forEach(([name], i) => {
        const ms = median(samples[i]!);
        const p = prefill[i]!;
        rows.push({
          model: name,
          context: p.context,
          batch: B,
          msPerToken: ms,
          tokensPerSecond: (1000 * B) / ms,
          prefillTokensPerSecond: p.context > p.from ? (1000 * B * (p.context - p.from)) / p.ms : Number.NaN,
          stateMB: caches[i]!.slots.reduce((a, sl) => a + stateBytes(sl.state), 0) / 2 ** 20,
        });
      });
      opts.onRow?.(rows.slice(-entries.length));
    }
  } finally {
    for (const c of caches) c.dispose();
  }
  rows.sort((a, b) => entries.findIndex(([n]) => n === a.model) - entries.findIndex(([n]) => n === b.model) || a.context - b.context);
  return new DecodeCost(rows);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
