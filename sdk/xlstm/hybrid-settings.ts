// Settings of the "mlstm_hybrid" layer type, as config.json stores them (layer_type_settings):
// plain JSON with snake_case keys, the defaults in one place, checked eagerly against the model.

import { ArgumentError } from "../errors.js";
import type { BaseConfig, LayerSettings } from "../models/layer-types.js";
import { FEATURE_MAP_KINDS, type FeatureMapKind } from "./feature-map.js";
import { DEFAULT_CHUNK_SIZE } from "./options.js";

export const MLSTM_HYBRID = "mlstm_hybrid";

export interface HybridSettings extends LayerSettings {
  /** positions a query sees back to and including itself in the softmax branch (LoLCATs: 64; the paper: 512 at 8B) */
  readonly window: number;
  /** first positions every query sees in the softmax branch (the paper: 4) */
  readonly sinks: number;
  readonly feature_map: FeatureMapKind;
  /** F, the columns of each head's feature map (features per head: F, or 2F for "lolcats"); default the head size */
  readonly feature_dim: number;
  /** chunk length of the mLSTM's chunkwise (training and prefill) form */
  readonly chunk_size: number;
  /** xLSTM 7B's cap * tanh(x / cap) on the gate pre-activations (15), or null for none */
  readonly gate_soft_cap: number | null;
}

/** The defaults, except feature_dim (the head size of the model). */
export const HYBRID_DEFAULTS = {
  window: 64,
  sinks: 4,
  feature_map: "hedgehog" as FeatureMapKind,
  chunk_size: DEFAULT_CHUNK_SIZE,
  gate_soft_cap: null as number | null,
};

const KEYS = ["window", "sinks", "feature_map", "feature_dim", "chunk_size", "gate_soft_cap"];

function int(field: string, v: unknown, min: number, max = Number.MAX_SAFE_INTEGER, why = ""): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer in [${min}, ${max}]`;
    throw new ArgumentError(field, v, `${range}${why}`);
  }
  return v;
}

/** Checks raw settings against the model (window within the context) and fills the defaults. */
export function hybridSettings(raw: LayerSettings, c: Pick<BaseConfig, "maxSeq" | "headDim">): HybridSettings {
  for (const k of Object.keys(raw))
    if (!KEYS.includes(k)) throw new ArgumentError(k, raw[k], `no such setting (settings: ${KEYS.join(", ")})`);
  const s = { ...HYBRID_DEFAULTS, feature_dim: c.headDim, ...stripUndefined(raw) };
  const window = int(
    "window",
    s.window,
    1,
    c.maxSeq,
    ` (the model's context, maxSeq, is ${c.maxSeq} tokens: a larger window is full attention)`,
  );
  const sinks = int("sinks", s.sinks, 0, c.maxSeq);
  if (!FEATURE_MAP_KINDS.includes(s.feature_map as FeatureMapKind)) {
    throw new ArgumentError("feature_map", s.feature_map, `one of ${FEATURE_MAP_KINDS.map((k) => JSON.stringify(k)).join(", ")}`);
  }
  const featureDim = int("feature_dim", s.feature_dim, 1);
  const chunkSize = int("chunk_size", s.chunk_size, 1);
  const cap = s.gate_soft_cap;
  if (cap !== null && (typeof cap !== "number" || !Number.isFinite(cap) || cap <= 0)) {
    throw new ArgumentError("gate_soft_cap", cap, "a number > 0 (xLSTM 7B: 15), or null for no cap");
  }
  return {
    window,
    sinks,
    feature_map: s.feature_map as FeatureMapKind,
    feature_dim: featureDim,
    chunk_size: chunkSize,
    gate_soft_cap: cap as number | null,
  };
}

function stripUndefined(o: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}
