// What decoding costs at a given context length: milliseconds per generated token (batch of B rows,
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
import { DISPLAY, type MimeBundle } from "../viz/mime.js";
import { Table } from "../viz/table.js";
import { throwIfCancelled } from "../distill/cancel.js";

export interface DecodeCostOptions {
  /** context lengths: the prompt before the timed tokens */
  contexts: number[];
  /** rows decoded together (default 1) */
  batch?: number;
  /** tokens timed after the prompt (default 16), after `warmup` untimed ones (default 2) */
  tokens?: number;
  warmup?: number;
  /** the prompt runs through the cache in chunks of at most this many tokens (default 256), as long prompts are prefilled */
  chunk?: number;
  /** default 0 */
  seed?: number;
}

export interface DecodeCostRow {
  model: string;
  context: number;
  batch: number;
  /** wall time per decoding step (one token for each of the batch's rows) */
  msPerToken: number;
  /** generated tokens per second over all rows */
  tokensPerSecond: number;
  /** prompt tokens per second over all rows */
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

/** Decoding cost of each model ({name: model}) at each context length. */
export async function decodeCost(models: Record<string, Model>, opts: DecodeCostOptions): Promise<DecodeCost> {
  const w = "decodeCost";
  for (const [n, m] of Object.entries(models ?? {})) if (!(m instanceof Model)) throw new ArgumentError(`models.${n}`, m, "a model", w);
  const contexts = opts?.contexts;
  if (!Array.isArray(contexts) || contexts.length === 0)
    throw new ArgumentError("contexts", contexts, "a non-empty array of token counts", w);
  const B = opts.batch ?? 1;
  const tokens = opts.tokens ?? 16;
  const warmup = opts.warmup ?? 2;
  const chunk = opts.chunk ?? 256;
  for (const [k, v] of Object.entries({ batch: B, tokens, chunk }))
    if (!Number.isInteger(v) || v < 1) throw new ArgumentError(k, v, "an integer >= 1", w);
  const rows: DecodeCostRow[] = [];
  for (const [name, model] of Object.entries(models)) {
    const V = model.config.vocabSize;
    for (const S of contexts) {
      if (!Number.isInteger(S) || S < 1 || S + warmup + tokens > model.config.maxSeq) {
        throw new ArgumentError(
          "contexts",
          S,
          `integers in [1, ${model.config.maxSeq - warmup - tokens}] (${name}'s maxSeq ${model.config.maxSeq} less ${warmup + tokens} decoded tokens)`,
          w,
        );
      }
      const rng = mulberry32(opts.seed ?? 0);
      const draw = (T: number) => Array.from({ length: B }, () => Array.from({ length: T }, () => Math.floor(rng() * V)));
      const cache = new DecodeCache(model.config.nLayers);
      try {
        const t0 = performance.now();
        for (let s = 0; s < S; s += chunk) {
          throwIfCancelled(`decodeCost: ${name}, prompt of ${S}`);
          await oneForward(model, cache, draw(Math.min(chunk, S - s)));
        }
        const prefillMs = performance.now() - t0;
        for (let i = 0; i < warmup; i++) await oneForward(model, cache, draw(1));
        const t1 = performance.now();
        for (let i = 0; i < tokens; i++) {
          throwIfCancelled(`decodeCost: ${name} at ${S}`);
          await oneForward(model, cache, draw(1));
        }
        const ms = (performance.now() - t1) / tokens;
        const bytes = cache.slots.reduce((a, sl) => a + stateBytes(sl.state), 0);
        rows.push({
          model: name,
          context: S,
          batch: B,
          msPerToken: ms,
          tokensPerSecond: (1000 * B) / ms,
          prefillTokensPerSecond: (1000 * B * S) / prefillMs,
          stateMB: bytes / 2 ** 20,
        });
      } finally {
        cache.dispose();
      }
    }
  }
  return new DecodeCost(rows);
}
