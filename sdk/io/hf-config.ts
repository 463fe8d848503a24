// Hugging Face config.json / generation_config.json <-> ModelConfig.
// Field names follow LlamaConfig, Qwen2Config and Olmo2Config in transformers.

import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { writeJsonAtomic } from "./atomic.js";
import { ArgumentError } from "../errors.js";
import { config, ConfigError, FAMILIES, type Family, type ModelConfig, type ModelConfigInput } from "../models/config.js";
import { allFullAttention } from "../models/layer-types.js";

export const ARCHITECTURES: Record<Family, string> = {
  llama: "LlamaForCausalLM",
  qwen2: "Qwen2ForCausalLM",
  olmo2: "Olmo2ForCausalLM",
};

/** ModelConfig field -> Hugging Face field, for error messages. */
const HF_NAMES: Record<string, string> = {
  vocabSize: "vocab_size",
  dModel: "hidden_size",
  dFf: "intermediate_size",
  nLayers: "num_hidden_layers",
  nHeads: "num_attention_heads",
  nKvHeads: "num_key_value_heads",
  headDim: "head_dim",
  maxSeq: "max_position_embeddings",
  ropeTheta: "rope_theta",
  rmsNormEps: "rms_norm_eps",
  tieEmbeddings: "tie_word_embeddings",
  ropeScaling: "rope_scaling",
  attentionBias: "attention_bias",
  mlpBias: "mlp_bias",
  initStd: "initializer_range",
  bosTokenId: "bos_token_id",
  eosTokenId: "eos_token_id",
  padTokenId: "pad_token_id",
  layerTypes: "layer_types",
  layerSettings: "layer_type_settings",
};

export type TorchDtype = "float32" | "float16" | "bfloat16";

export function toHfConfig(c: ModelConfig, torchDtype: TorchDtype = "float32"): Record<string, unknown> {
  const out: Record<string, unknown> = {
    architectures: [ARCHITECTURES[c.family]],
    model_type: c.family,
    vocab_size: c.vocabSize,
    hidden_size: c.dModel,
    intermediate_size: c.dFf,
    num_hidden_layers: c.nLayers,
    num_attention_heads: c.nHeads,
    num_key_value_heads: c.nKvHeads,
    max_position_embeddings: c.maxSeq,
    rope_theta: c.ropeTheta,
    rms_norm_eps: c.rmsNormEps,
    tie_word_embeddings: c.tieEmbeddings,
    rope_scaling: c.ropeScaling && {
      rope_type: "llama3",
      factor: c.ropeScaling.factor,
      low_freq_factor: c.ropeScaling.lowFreqFactor,
      high_freq_factor: c.ropeScaling.highFreqFactor,
      original_max_position_embeddings: c.ropeScaling.originalMaxPositionEmbeddings,
    },
    hidden_act: "silu",
    initializer_range: c.initStd,
    attention_dropout: 0.0,
    use_cache: true,
    torch_dtype: torchDtype,
  };
  if (c.family === "llama") Object.assign(out, { head_dim: c.headDim, attention_bias: c.attentionBias, mlp_bias: c.mlpBias });
  if (c.family === "olmo2") out.attention_bias = c.attentionBias;
  if (c.family === "qwen2") Object.assign(out, { use_sliding_window: false, sliding_window: null, max_window_layers: c.nLayers });
  if (c.bosTokenId !== null) out.bos_token_id = c.bosTokenId;
  if (c.eosTokenId !== null) out.eos_token_id = c.eosTokenId;
  if (c.padTokenId !== null) out.pad_token_id = c.padTokenId;
  // all softmax attention: written as before (the families' own configs carry no layer types)
  if (!allFullAttention(c)) Object.assign(out, { layer_types: [...c.layerTypes], layer_type_settings: c.layerSettings });
  return out;
}

function familyOf(file: string, j: Record<string, unknown>): Family {
  const mt = j.model_type;
  if (typeof mt === "string" && (FAMILIES as readonly string[]).includes(mt)) return mt as Family;
  const arch = Array.isArray(j.architectures) ? j.architectures[0] : undefined;
  const byArch = (Object.entries(ARCHITECTURES) as [Family, string][]).find(([, a]) => a === arch);
  if (mt === undefined && byArch) return byArch[0];
  throw new Error(
    `${file}: model_type = ${JSON.stringify(mt)} (architectures ${JSON.stringify(j.architectures)}): expected one of ${FAMILIES.join(", ")}`,
  );
}

function ropeScalingFrom(file: string, v: unknown): ModelConfigInput["ropeScaling"] {
  if (v === null || v === undefined) return null;
  if (typeof v !== "object" || Array.isArray(v)) throw new ArgumentError("rope_scaling", v, "null or an object", file);
  const r = v as Record<string, unknown>;
  const type = r.rope_type ?? r.type;
  if (type === "default") return null;
  if (type !== "llama3") throw new ArgumentError("rope_scaling.rope_type", type, `"llama3" or "default" (others are not supported)`, file);
  return {
    type: "llama3",
    factor: r.factor as number,
    lowFreqFactor: r.low_freq_factor as number,
    highFreqFactor: r.high_freq_factor as number,
    originalMaxPositionEmbeddings: r.original_max_position_embeddings as number,
  };
}

/** Parse a config.json object; errors name the file and the Hugging Face field. */
export function fromHfConfig(json: unknown, file = "config.json"): { config: ModelConfig; torchDtype: string | null } {
  if (typeof json !== "object" || json === null || Array.isArray(json)) throw new Error(`${file}: expected a JSON object`);
  const j = json as Record<string, unknown>;
  const family = familyOf(file, j);
  if (j.hidden_act !== undefined && j.hidden_act !== "silu") {
    throw new ArgumentError("hidden_act", j.hidden_act, `"silu"`, file);
  }
  if (family === "qwen2" && j.use_sliding_window === true) {
    throw new Error(`${file}: use_sliding_window = true: sliding-window Qwen2 layers are not supported (expected false)`);
  }
  const opt = <T>(v: unknown): T | undefined => (v === null || v === undefined ? undefined : (v as T));
  const input: ModelConfigInput = {
    family,
    vocabSize: j.vocab_size as number,
    dModel: j.hidden_size as number,
    dFf: j.intermediate_size as number,
    nLayers: j.num_hidden_layers as number,
    nHeads: j.num_attention_heads as number,
    nKvHeads: opt(j.num_key_value_heads),
    headDim: family === "llama" ? opt(j.head_dim) : undefined,
    maxSeq: opt(j.max_position_embeddings),
    ropeTheta: opt(j.rope_theta),
    rmsNormEps: opt(j.rms_norm_eps),
    tieEmbeddings: opt(j.tie_word_embeddings),
    ropeScaling: ropeScalingFrom(file, j.rope_scaling),
    attentionBias: family === "qwen2" ? undefined : opt(j.attention_bias),
    mlpBias: family === "llama" ? opt(j.mlp_bias) : undefined,
    initStd: opt(j.initializer_range),
    bosTokenId: opt(j.bos_token_id),
    eosTokenId: opt(j.eos_token_id),
    padTokenId: opt(j.pad_token_id),
    layerTypes: opt(j.layer_types),
    layerSettings: opt(j.layer_type_settings),
  };
  try {
    return { config: config(input), torchDtype: typeof j.torch_dtype === "string" ? j.torch_dtype : null };
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    const top = e.field.split(/[.[]/)[0];
    throw new Error(`${file}: ${HF_NAMES[top] ?? top}: ${e.message}`);
  }
}

/** Decoding defaults from generation_config.json. */
export interface GenerationConfig {
  bosTokenId: number | null;
  eosTokenIds: number[];
  padTokenId: number | null;
  doSample: boolean;
  temperature: number;
  topK: number;
  topP: number;
  maxNewTokens: number | null;
}

export function generationConfigFrom(json: unknown, fallback: ModelConfig, file = "generation_config.json"): GenerationConfig {
  const j = (json ?? {}) as Record<string, unknown>;
  if (typeof j !== "object" || Array.isArray(j)) throw new Error(`${file}: expected a JSON object`);
  const id = (field: string, v: unknown, dflt: number | null): number | null => {
    if (v === undefined || v === null) return dflt;
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0) throw new ArgumentError(field, v, "a token id", file);
    return v;
  };
  const eosRaw = j.eos_token_id ?? fallback.eosTokenId;
  const eosList = eosRaw === null || eosRaw === undefined ? [] : Array.isArray(eosRaw) ? eosRaw : [eosRaw];
  const num = (field: string, v: unknown, dflt: number): number => {
    if (v === undefined || v === null) return dflt;
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0) throw new ArgumentError(field, v, "a number >= 0", file);
    return v;
  };
  return {
    bosTokenId: id("bos_token_id", j.bos_token_id, fallback.bosTokenId),
    eosTokenIds: eosList.map((e, i) => id(`eos_token_id[${i}]`, e, null) as number),
    padTokenId: id("pad_token_id", j.pad_token_id, fallback.padTokenId),
    doSample: j.do_sample === true,
    temperature: num("temperature", j.temperature, 1),
    topK: num("top_k", j.top_k, 50),
    topP: num("top_p", j.top_p, 1),
    maxNewTokens: j.max_new_tokens === undefined || j.max_new_tokens === null ? null : num("max_new_tokens", j.max_new_tokens, 0),
  };
}

export function toHfGenerationConfig(g: GenerationConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (g.bosTokenId !== null) out.bos_token_id = g.bosTokenId;
  if (g.eosTokenIds.length) out.eos_token_id = g.eosTokenIds.length === 1 ? g.eosTokenIds[0] : g.eosTokenIds;
  if (g.padTokenId !== null) out.pad_token_id = g.padTokenId;
  out.do_sample = g.doSample;
  if (g.doSample) Object.assign(out, { temperature: g.temperature, top_k: g.topK, top_p: g.topP });
  if (g.maxNewTokens !== null) out.max_new_tokens = g.maxNewTokens;
  return out;
}

/** Read `<dir>/config.json`. */
export async function readHfConfig(dir: string): Promise<{ config: ModelConfig; torchDtype: string | null }> {
  const path = join(dir, "config.json");
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    throw new Error(`${path}: cannot read (${(e as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${(e as Error).message})`);
  }
  return fromHfConfig(json, path);
}

/** Write `<dir>/config.json` atomically. */
export async function writeHfConfig(dir: string, c: ModelConfig, torchDtype: TorchDtype = "float32"): Promise<void> {
  await writeJsonAtomic(join(dir, "config.json"), toHfConfig(c, torchDtype));
}
