// Load a Hugging Face directory: config.json, model.safetensors (or a sharded index),
// generation_config.json and tokenizer files when present. Weights become float32 variables.

import * as tf from "@tensorflow/tfjs-core";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { readWeights } from "../io/weights.js";
import { readHfConfig, generationConfigFrom } from "../io/hf-config.js";
import { Tokenizer } from "../io/tokenizer.js";
import { weightSpecs } from "./layout.js";
import { buildModel } from "./build.js";
import type { Model } from "./model.js";

export interface LoadOptions {
  /** reject checkpoint tensors the config does not account for (default true) */
  strict?: boolean;
}

async function readJsonIfPresent(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new Error(`${path}: cannot read (${(e as Error).message})`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${(e as Error).message})`);
  }
}

const list = (names: string[]) => names.slice(0, 5).join(", ") + (names.length > 5 ? `, ... (${names.length} in all)` : "");

/** Tensors a checkpoint may carry that are not weights. */
const IGNORED = /(^|\.)rotary_emb\.inv_freq$/;

export async function load(dir: string, opts: LoadOptions = {}): Promise<Model> {
  const { config } = await readHfConfig(dir);
  const tensors = await readWeights(dir);
  const specs = weightSpecs(config);
  const missing = specs.filter((s) => !tensors.has(s.name)).map((s) => s.name);
  if (missing.length) throw new Error(`${dir}: the checkpoint lacks ${list(missing)}`);
  const known = new Set(specs.map((s) => s.name));
  if (config.tieEmbeddings) known.add("lm_head.weight"); // tied: the head is the embedding, a stored copy is ignored
  const extra = [...tensors.keys()].filter((n) => !known.has(n) && !IGNORED.test(n));
  if (extra.length && opts.strict !== false) {
    throw new Error(
      `${dir}: the checkpoint has tensors a ${config.family} model with this config.json does not use: ${list(extra)} (load with {strict: false} to ignore them)`,
    );
  }
  const vars = new Map<string, tf.Variable>();
  try {
    for (const spec of specs) {
      const t = tensors.get(spec.name)!;
      if (t.shape.length !== spec.shape.length || t.shape.some((d, i) => d !== spec.shape[i])) {
        throw new Error(`${dir}: ${spec.name} has shape [${t.shape}] in the checkpoint; config.json implies [${spec.shape}]`);
      }
      if (!(t.data instanceof Float32Array)) throw new Error(`${dir}: ${spec.name} is ${t.dtype}; expected a floating point dtype`);
      const data = t.data;
      vars.set(
        spec.name,
        tf.tidy(() => tf.variable(tf.tensor(data, spec.shape, "float32"))),
      );
      tensors.delete(spec.name);
    }
  } catch (e) {
    for (const v of vars.values()) v.dispose();
    throw e;
  }
  try {
    const genPath = join(dir, "generation_config.json");
    const generationConfig = generationConfigFrom((await readJsonIfPresent(genPath)) ?? {}, config, genPath);
    const tokenizer = await Tokenizer.loadIfPresent(dir);
    return buildModel(config, vars, { tokenizer, generationConfig });
  } catch (e) {
    // A bad generation_config.json or tokenizer.json: the weights read so far go too.
    for (const v of vars.values()) v.dispose();
    throw e;
  }
}
