// Autoregressive generation with a decoding cache: one forward over the (left-padded) prompts,
// then one token per step. Temperature 0 is greedy.

import * as tf from "@tensorflow/tfjs-core";
import { ArgumentError } from "../errors.js";
import { DecodeCache } from "../nn/kv-cache.js";
import { mulberry32 } from "../nn/random.js";
import type { Model } from "./model.js";
import { idRows, positionsFromMask } from "./inputs.js";
import { sampleToken, type Sampling } from "./sampling.js";
import { throwIfCancelled } from "../runtime/cancel.js";

/** NaN or infinite logits (NaN weights, an overflow) would sample id 0 forever: say so instead. */
function checkFinite(rows: Float32Array[], t: number): void {
  rows.forEach((row, b) => {
    for (let v = 0; v < row.length; v++)
      if (!Number.isFinite(row[v]!))
        throw new Error(`generate: the logits of row ${b} at new token ${t} hold ${row[v]} (at id ${v}): are the weights NaN or infinite?`);
  });
}

export interface GenerateOptions {
  /** default: generation_config.json max_new_tokens, else 32 */
  maxNewTokens?: number;
  /** 0 = greedy; default: generation_config.json (when do_sample) else 0 */
  temperature?: number;
  topK?: number;
  topP?: number;
  seed?: number;
  /** stop a row at these ids (default: eosIds(model)); null = never stop early */
  eosTokenId?: number | number[] | null;
  /** called after each step with the new token of every row */
  onToken?: (tokens: number[], step: number) => void;
  /** stops generation at the next token (so does interrupting the notebook cell); see sr.runtime */
  signal?: AbortSignal;
}

function check(name: string, v: number, ok: boolean, allowed: string): void {
  if (!ok) throw new ArgumentError(name, v, allowed, "generate");
}

function samplingOf(model: Model, o: GenerateOptions): Sampling & { maxNewTokens: number; seed: number } {
  const g = model.generationConfig;
  const s = {
    maxNewTokens: o.maxNewTokens ?? g.maxNewTokens ?? 32,
    temperature: o.temperature ?? (g.doSample ? g.temperature : 0),
    topK: o.topK ?? (g.doSample ? g.topK : 0),
    topP: o.topP ?? (g.doSample ? g.topP : 1),
    seed: o.seed ?? 0,
  };
  check("maxNewTokens", s.maxNewTokens, Number.isInteger(s.maxNewTokens) && s.maxNewTokens >= 0, "an integer >= 0");
  check("temperature", s.temperature, Number.isFinite(s.temperature) && s.temperature >= 0, "a number >= 0");
  check("topK", s.topK, Number.isInteger(s.topK) && s.topK >= 0, "an integer >= 0 (0 = off)");
  check("topP", s.topP, s.topP > 0 && s.topP <= 1, "a number in (0, 1]");
  check("seed", s.seed, Number.isInteger(s.seed), "an integer");
  return s;
}

/**
 * The ids that end a row by default: generation_config.json's eos_token_id, else config.json's,
 * else the tokenizer's eos token. A model made from a config that names its eos (as the task
 * suite's vocabulary does: sr.tasks.EOS) stops there without being told.
 */
export function eosIds(model: Model): number[] {
  if (model.generationConfig.eosTokenIds.length) return model.generationConfig.eosTokenIds;
  const fromConfig = model.config.eosTokenId;
  if (fromConfig !== null && fromConfig !== undefined) return Array.isArray(fromConfig) ? fromConfig : [fromConfig];
  const token = model.tokenizer?.eosToken;
  const id = token ? model.tokenizer!.tokenToId(token) : undefined;
  return id === undefined ? [] : [id];
}

export async function generate(
  model: Model,
  prompt: string | number[] | number[][],
  opts: GenerateOptions = {},
): Promise<string | number[] | number[][]> {
  const s = samplingOf(model, opts);
  const isText = typeof prompt === "string";
  if (isText && !model.tokenizer) throw new Error("generate: a text prompt needs a tokenizer (load a directory with tokenizer.json)");
  const raw: number[][] = isText
    ? [model.tokenizer!.encode(prompt)]
    : Array.isArray(prompt[0])
      ? (prompt as number[][])
      : [prompt as number[]];
  raw.forEach((r, b) => {
    if (!Array.isArray(r) || r.length === 0) throw new Error(`generate: prompt ${b} is empty`);
    idRows([r], model.config.vocabSize, `prompt ${b}`);
  });
  const longest = Math.max(...raw.map((r) => r.length));
  if (longest + s.maxNewTokens > model.config.maxSeq)
    throw new Error(
      `generate: a prompt of ${longest} tokens plus maxNewTokens = ${s.maxNewTokens} exceeds the model's maxSeq = ${model.config.maxSeq} positions`,
    );
  const eosOpt = opts.eosTokenId === undefined ? eosIds(model) : opts.eosTokenId;
  const eos = new Set(eosOpt === null ? [] : Array.isArray(eosOpt) ? eosOpt : [eosOpt]);
  const pad = model.generationConfig.padTokenId ?? [...eos][0] ?? 0;

  const B = raw.length;
  const L = Math.max(...raw.map((r) => r.length));
  const mask = raw.map((r) => [...Array(L - r.length).fill(0), ...Array(r.length).fill(1)]);
  const padded = raw.map((r) => [...Array(L - r.length).fill(pad), ...r]);
  const padding = raw.some((r) => r.length < L);
  const nextPos = raw.map((r) => r.length);
  const out: number[][] = raw.map(() => []);
  const done = raw.map(() => false);
  const rng = mulberry32(s.seed);
  const cache = new DecodeCache(model.config.nLayers);

  // One forward over ids [B, T] at positions [B, T]; returns the last position's logits per row.
  const step = async (ids: number[][], positions: number[][]): Promise<Float32Array[]> => {
    const T = ids[0].length;
    const logits = tf.tidy(() =>
      model.withHooks(
        () =>
          model.forward(tf.tensor2d(ids, [B, T], "int32"), {
            // [B, T]
            positions: tf.tensor2d(positions, [B, T], "int32"), // [B, T]
            keyMask: padding ? tf.tensor2d(mask, [B, mask[0].length], "float32") : null, // [B, S]
            cache,
            lastOnly: true,
            training: false, // generation always runs in evaluation mode
          }), // [B, 1, V]
      ),
    );
    cache.length += T;
    const data = (await logits.data()) as Float32Array;
    logits.dispose();
    const V = model.config.vocabSize;
    return Array.from({ length: B }, (_, b) => data.subarray(b * V, (b + 1) * V));
  };

  try {
    let rows = s.maxNewTokens > 0 ? await step(padded, positionsFromMask(mask)) : [];
    for (let t = 0; t < s.maxNewTokens; t++) {
      throwIfCancelled(`generate: token ${t + 1} of ${s.maxNewTokens}`, opts.signal, out);
      checkFinite(rows, t);
      const tokens = rows.map((row, b) => (done[b] ? pad : sampleToken(row, s, rng)));
      tokens.forEach((tok, b) => {
        if (done[b]) return;
        out[b].push(tok);
        if (eos.has(tok)) done[b] = true;
      });
      opts.onToken?.(tokens, t);
      if (done.every(Boolean) || t === s.maxNewTokens - 1) break;
      for (const m of mask) m.push(1);
      rows = await step(
        tokens.map((tok) => [tok]),
        nextPos.map((p) => [p]),
      );
      for (let b = 0; b < nextPos.length; b++) nextPos[b]++;
    }
  } finally {
    cache.dispose();
  }
  if (isText) return model.tokenizer!.decode(out[0], { skipSpecialTokens: true });
  return Array.isArray(prompt[0]) ? out : out[0];
}
