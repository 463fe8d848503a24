// Model configs: a typed plain object, family defaults in one place, eager validation whose
// errors name the field, the value and the allowed range.

import { ArgumentError } from "../errors.js";
import { totalmem } from "node:os";
import type { Llama3RopeScaling } from "../nn/rope.js";
import { checkLayerTypes, type LayerSettings } from "./layer-types.js";

export type { Llama3RopeScaling };

export const FAMILIES = ["llama", "qwen2", "olmo2"] as const;
export type Family = (typeof FAMILIES)[number];

/** What `config()` accepts; everything but the sizes has a default. */
export interface ModelConfigInput {
  family: Family;
  vocabSize: number;
  dModel: number;
  nLayers: number;
  nHeads: number;
  /** key/value heads (GQA); default nHeads */
  nKvHeads?: number;
  /** per-head size; default dModel / nHeads (a different value only for llama) */
  headDim?: number;
  dFf: number;
  /** max_position_embeddings; default 2048 */
  maxSeq?: number;
  ropeTheta?: number;
  rmsNormEps?: number;
  tieEmbeddings?: boolean;
  ropeScaling?: Llama3RopeScaling | null;
  /** llama and olmo2 (HF attention_bias): biases on q, k, v and o; qwen2 always has q/k/v biases */
  attentionBias?: boolean;
  /** llama only (HF mlp_bias) */
  mlpBias?: boolean;
  /** std of the normal init of `create` (HF initializer_range) */
  initStd?: number;
  bosTokenId?: number | null;
  eosTokenId?: number | number[] | null;
  padTokenId?: number | null;
  /** each layer's mixer type (config.json layer_types); default "full_attention" everywhere */
  layerTypes?: readonly string[];
  /** settings of each layer type in use, by type name (config.json layer_type_settings) */
  layerSettings?: Readonly<Record<string, LayerSettings>>;
}

/** A validated config: every field present, plus the structure the family implies. */
export interface ModelConfig extends Readonly<Required<ModelConfigInput>> {
  readonly headDim: number;
  /** biases on q_proj, k_proj, v_proj */
  readonly qkvBias: boolean;
  /** bias on o_proj */
  readonly outputBias: boolean;
  /** olmo2: RMSNorm over the full q and k projections, before the head split */
  readonly qkNorm: boolean;
  /** olmo2: norms after attention and MLP outputs (post_attention_layernorm, post_feedforward_layernorm) */
  readonly postNorm: boolean;
}

const FAMILY_DEFAULTS: Record<Family, { ropeTheta: number; rmsNormEps: number }> = {
  llama: { ropeTheta: 10000, rmsNormEps: 1e-6 },
  qwen2: { ropeTheta: 10000, rmsNormEps: 1e-6 },
  olmo2: { ropeTheta: 10000, rmsNormEps: 1e-5 },
};

const DEFAULTS = {
  maxSeq: 2048,
  tieEmbeddings: false,
  ropeScaling: null,
  attentionBias: false,
  mlpBias: false,
  initStd: 0.02,
  bosTokenId: null,
  eosTokenId: null,
  padTokenId: null,
} as const;

const KNOWN_FIELDS = [
  "family",
  "vocabSize",
  "dModel",
  "nLayers",
  "nHeads",
  "nKvHeads",
  "headDim",
  "dFf",
  "maxSeq",
  "ropeTheta",
  "rmsNormEps",
  "tieEmbeddings",
  "ropeScaling",
  "attentionBias",
  "mlpBias",
  "initStd",
  "bosTokenId",
  "eosTokenId",
  "padTokenId",
  "layerTypes",
  "layerSettings",
  // derived fields, accepted so that config(config(x)) works
  "qkvBias",
  "outputBias",
  "qkNorm",
  "postNorm",
];

/** `ModelConfig.field = value: expected allowed`; `field` is the config's own name for it. */
export class ConfigError extends ArgumentError {
  constructor(field: string, value: unknown, allowed: string) {
    super(field, value, allowed);
    this.message = `ModelConfig.${this.message}`;
    this.name = "ConfigError";
  }
}

const isInt = (v: unknown, min: number): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= min;
const isPos = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v) && v > 0;

function int(field: string, v: unknown, min = 1): number {
  if (!isInt(v, min)) throw new ConfigError(field, v, `an integer >= ${min}`);
  return v;
}

function bool(field: string, v: unknown): boolean {
  if (typeof v !== "boolean") throw new ConfigError(field, v, "true or false");
  return v;
}

function tokenId(field: string, v: unknown, vocab: number): number | null {
  if (v === null) return null;
  if (!isInt(v, 0) || v >= vocab) throw new ConfigError(field, v, `null or an integer in [0, ${vocab - 1}]`);
  return v;
}

function ropeScaling(v: unknown): Llama3RopeScaling | null {
  if (v === null) return null;
  if (typeof v !== "object" || Array.isArray(v)) throw new ConfigError("ropeScaling", v, "null or {type: 'llama3', ...}");
  const r = v as Record<string, unknown>;
  if (r.type !== "llama3") throw new ConfigError("ropeScaling.type", r.type, "'llama3'");
  for (const k of Object.keys(r)) {
    if (!["type", "factor", "lowFreqFactor", "highFreqFactor", "originalMaxPositionEmbeddings"].includes(k)) {
      throw new ConfigError(
        `ropeScaling.${k}`,
        r[k],
        "no such field (factor, lowFreqFactor, highFreqFactor, originalMaxPositionEmbeddings)",
      );
    }
  }
  if (!isPos(r.factor) || r.factor < 1) throw new ConfigError("ropeScaling.factor", r.factor, "a number >= 1");
  if (!isPos(r.lowFreqFactor)) throw new ConfigError("ropeScaling.lowFreqFactor", r.lowFreqFactor, "a number > 0");
  if (!isPos(r.highFreqFactor) || r.highFreqFactor <= r.lowFreqFactor) {
    throw new ConfigError("ropeScaling.highFreqFactor", r.highFreqFactor, `a number > lowFreqFactor (${r.lowFreqFactor})`);
  }
  const orig = int("ropeScaling.originalMaxPositionEmbeddings", r.originalMaxPositionEmbeddings);
  return {
    type: "llama3",
    factor: r.factor,
    lowFreqFactor: r.lowFreqFactor,
    highFreqFactor: r.highFreqFactor,
    originalMaxPositionEmbeddings: orig,
  };
}

/** Validate `input`, fill the family's defaults, and derive the structure; throws ConfigError. */
export function config(input: ModelConfigInput): ModelConfig {
  if (typeof input !== "object" || input === null) throw new ConfigError("(config)", input, "an object");
  for (const k of Object.keys(input)) {
    if (!KNOWN_FIELDS.includes(k))
      throw new ConfigError(
        k,
        (input as unknown as Record<string, unknown>)[k],
        `no such field (known: ${KNOWN_FIELDS.slice(0, 21).join(", ")})`,
      );
  }
  const family = input.family;
  if (!FAMILIES.includes(family)) throw new ConfigError("family", family, `one of ${FAMILIES.join(", ")}`);
  const fd = FAMILY_DEFAULTS[family];
  const get = <K extends keyof typeof DEFAULTS>(k: K) => (input[k] === undefined ? DEFAULTS[k] : input[k]);

  const vocabSize = int("vocabSize", input.vocabSize);
  const dModel = int("dModel", input.dModel);
  const nLayers = int("nLayers", input.nLayers);
  const nHeads = int("nHeads", input.nHeads);
  const nKvHeads = int("nKvHeads", input.nKvHeads ?? nHeads);
  if (nHeads % nKvHeads !== 0) throw new ConfigError("nKvHeads", nKvHeads, `a divisor of nHeads (${nHeads})`);
  let headDim: number;
  if (input.headDim === undefined || (family !== "llama" && input.headDim === dModel / nHeads)) {
    if (dModel % nHeads !== 0) throw new ConfigError("nHeads", nHeads, `a divisor of dModel (${dModel}), or set headDim (llama)`);
    headDim = dModel / nHeads;
  } else {
    if (family !== "llama") throw new ConfigError("headDim", input.headDim, `dModel / nHeads (${dModel / nHeads}) for ${family}`);
    headDim = int("headDim", input.headDim);
  }
  if (headDim % 2 !== 0) throw new ConfigError("headDim", headDim, "an even number (rotary embeddings rotate pairs)");
  const dFf = int("dFf", input.dFf);
  const maxSeq = int("maxSeq", get("maxSeq"));
  const ropeTheta = input.ropeTheta ?? fd.ropeTheta;
  if (!isPos(ropeTheta) || ropeTheta <= 1) throw new ConfigError("ropeTheta", ropeTheta, "a number > 1");
  const rmsNormEps = input.rmsNormEps ?? fd.rmsNormEps;
  if (!isPos(rmsNormEps) || rmsNormEps >= 1) throw new ConfigError("rmsNormEps", rmsNormEps, "a number in (0, 1)");
  const initStd = get("initStd");
  if (!isPos(initStd)) throw new ConfigError("initStd", initStd, "a number > 0");
  const tieEmbeddings = bool("tieEmbeddings", get("tieEmbeddings"));
  const attentionBias = bool("attentionBias", get("attentionBias"));
  if (family === "qwen2" && attentionBias)
    throw new ConfigError("attentionBias", attentionBias, "false for qwen2 (its q/k/v biases are built in)");
  const mlpBias = bool("mlpBias", get("mlpBias"));
  if (family !== "llama" && mlpBias) throw new ConfigError("mlpBias", mlpBias, `false for ${family} (llama only)`);
  const eos = get("eosTokenId");
  const eosTokenId = Array.isArray(eos)
    ? eos.map((e, i) => tokenId(`eosTokenId[${i}]`, e, vocabSize) as number)
    : tokenId("eosTokenId", eos, vocabSize);

  checkSize({ vocabSize, dModel, nLayers, nHeads, nKvHeads, headDim, dFf, tieEmbeddings });

  const base = {
    family,
    vocabSize,
    dModel,
    nLayers,
    nHeads,
    nKvHeads,
    headDim,
    dFf,
    maxSeq,
    ropeTheta,
    rmsNormEps,
    tieEmbeddings,
    ropeScaling: ropeScaling(get("ropeScaling")),
    attentionBias,
    mlpBias,
    initStd,
    bosTokenId: tokenId("bosTokenId", get("bosTokenId"), vocabSize),
    eosTokenId,
    padTokenId: tokenId("padTokenId", get("padTokenId"), vocabSize),
    qkvBias: family === "qwen2" || attentionBias,
    outputBias: family !== "qwen2" && attentionBias,
    qkNorm: family === "olmo2",
    postNorm: family === "olmo2",
  };
  try {
    return Object.freeze({ ...base, ...checkLayerTypes(input.layerTypes, input.layerSettings, base) });
  } catch (e) {
    throw e instanceof ArgumentError && !(e instanceof ConfigError) ? new ConfigError(e.field, e.value, e.expected) : e;
  }
}

/** The most elements one tensor may have (typed arrays and tfjs's int32 sizes). */
const MAX_TENSOR_ELEMENTS = 2 ** 31 - 1;

type Sizes = Pick<ModelConfig, "vocabSize" | "dModel" | "nLayers" | "nHeads" | "nKvHeads" | "headDim" | "dFf" | "tieEmbeddings">;

/**
 * Sizes are checked before anything is built: a config whose weights cannot fit (one tensor past
 * the typed-array limit, or float32 weights past this machine's memory) is refused here, naming
 * the field, rather than building layers until the process dies.
 */
function checkSize(c: Sizes): void {
  const q = c.nHeads * c.headDim;
  const kv = c.nKvHeads * c.headDim;
  const perLayer = c.dModel * (2 * q + 2 * kv) + 3 * c.dModel * c.dFf + 2 * c.dModel;
  const embeddings = c.vocabSize * c.dModel * (c.tieEmbeddings ? 1 : 2);
  const largest: [string, number, number][] = [
    ["vocabSize", c.vocabSize, c.vocabSize * c.dModel],
    ["dFf", c.dFf, c.dModel * c.dFf],
    ["nHeads", c.nHeads, c.dModel * q],
  ];
  for (const [field, value, elements] of largest)
    if (elements > MAX_TENSOR_ELEMENTS)
      throw new ConfigError(
        field,
        value,
        `a size whose weight matrix has at most ${MAX_TENSOR_ELEMENTS} elements (it would have ${elements})`,
      );
  const params = c.nLayers * perLayer + embeddings;
  const bytes = params * 4;
  const memory = totalmem();
  if (bytes > memory) {
    const field = c.nLayers * perLayer >= embeddings ? "nLayers" : "vocabSize";
    const gib = (n: number) => `${(n / 2 ** 30).toFixed(1)} GiB`;
    throw new ConfigError(
      field,
      field === "nLayers" ? c.nLayers : c.vocabSize,
      `a size that fits: these sizes imply about ${params.toExponential(2)} parameters (${gib(bytes)} as float32), more than this machine's ${gib(memory)} of memory`,
    );
  }
}
