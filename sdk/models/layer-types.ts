// Layer types: what mixes tokens in each decoder layer. config.json lists one type per layer
// (`layer_types`, the Hugging Face field) and each type's own settings (`layer_type_settings`);
// the mixer sits at "model.layers.<i>.self_attn" whatever its type, beside the layer's MLP and norms.
//
// The core registers one type, "full_attention" (softmax attention, Hugging Face's name for it). A
// method registers its own from its own folder (registerLayerType), and from then on create, load
// and save build and round-trip any mix of registered types. The core knows no other type.

import type * as tf from "@tensorflow/tfjs-core";
import { ArgumentError } from "../errors.js";
import { Linear } from "../nn/linear.js";
import { RMSNorm } from "../nn/rmsnorm.js";
import { SelfAttention, type AttentionModule } from "../nn/self-attention.js";
import type { ModelConfig } from "./config.js";
import type { WeightSpec } from "./layout.js";

/** A layer type's settings as config.json stores them: a plain JSON object. */
export type LayerSettings = Readonly<Record<string, unknown>>;

/** The config a layer type sees while its settings are being checked (everything but the layer fields). */
export type BaseConfig = Omit<ModelConfig, "layerTypes" | "layerSettings">;

export interface LayerType<S extends LayerSettings = LayerSettings> {
  /** the name in config.json's layer_types ("full_attention", "mlstm_hybrid") */
  readonly name: string;
  /**
   * Check this type's settings (layer_type_settings[name]; {} when absent) and fill in their
   * defaults. Throw an ArgumentError whose field is the setting's name; the config reports it as
   * layerSettings.<type>.<field>. The result is what config.json stores, so keep it plain JSON.
   */
  settings(raw: LayerSettings, c: BaseConfig): S;
  /** The mixer's weights at `layer`, named relative to the mixer ("q_proj.weight"), with shapes and init. */
  weights(c: ModelConfig, s: S, layer: number): WeightSpec[];
  /** The mixer at `layer`, from its weights: `take(name)` hands over the variable of each name weights() listed. */
  build(c: ModelConfig, s: S, take: (name: string) => tf.Variable, layer: number): AttentionModule;
}

const registry = new Map<string, LayerType>();

/** Make a layer type available to config, create, load and save. Registering the same object again is a no-op. */
export function registerLayerType<S extends LayerSettings>(t: LayerType<S>): void {
  if (!t || typeof t.name !== "string" || !/^[a-z][a-z0-9_]*$/.test(t.name)) {
    throw new ArgumentError("name", t?.name, "a snake_case name such as mlstm_hybrid", "registerLayerType");
  }
  for (const f of ["settings", "weights", "build"] as const) {
    if (typeof t[f] !== "function") throw new ArgumentError(f, t[f], "a function", `registerLayerType("${t.name}")`);
  }
  const old = registry.get(t.name);
  if (old && old !== (t as unknown as LayerType))
    throw new Error(`registerLayerType: "${t.name}" is already registered by another definition`);
  registry.set(t.name, t as unknown as LayerType);
}

export function layerTypeNames(): string[] {
  return [...registry.keys()];
}

export function getLayerType(name: string, field = "layerTypes"): LayerType {
  const t = registry.get(name);
  if (!t) {
    throw new ArgumentError(
      field,
      name,
      `a registered layer type (${layerTypeNames().join(", ")}); a method registers its own when its module is imported`,
    );
  }
  return t;
}

/** The softmax attention block's weights, by the family's structure (biases, OLMo2's q/k norms). */
export function selfAttentionWeights(c: ModelConfig | BaseConfig): WeightSpec[] {
  const { dModel: C, nHeads: H, nKvHeads: Hkv, headDim: D } = c;
  const out: WeightSpec[] = [];
  const lin = (name: string, outF: number, inF: number, bias: boolean) => {
    out.push({ name: `${name}.weight`, shape: [outF, inF], init: "normal" });
    if (bias) out.push({ name: `${name}.bias`, shape: [outF], init: "zeros" });
  };
  lin("q_proj", H * D, C, c.qkvBias);
  lin("k_proj", Hkv * D, C, c.qkvBias);
  lin("v_proj", Hkv * D, C, c.qkvBias);
  lin("o_proj", C, H * D, c.outputBias);
  if (c.qkNorm) {
    out.push({ name: "q_norm.weight", shape: [H * D], init: "ones" });
    out.push({ name: "k_norm.weight", shape: [Hkv * D], init: "ones" });
  }
  return out;
}

/** The softmax attention block from the weights selfAttentionWeights names. */
export function buildSelfAttention(c: ModelConfig | BaseConfig, take: (name: string) => tf.Variable): SelfAttention {
  const lin = (p: string, bias: boolean) =>
    new Linear(take(`${p}.weight`) as tf.Variable<tf.Rank.R2>, bias ? (take(`${p}.bias`) as tf.Variable<tf.Rank.R1>) : null);
  const norm = (p: string) => new RMSNorm(take(`${p}.weight`) as tf.Variable<tf.Rank.R1>, c.rmsNormEps);
  return new SelfAttention(
    {
      q_proj: lin("q_proj", c.qkvBias),
      k_proj: lin("k_proj", c.qkvBias),
      v_proj: lin("v_proj", c.qkvBias),
      o_proj: lin("o_proj", c.outputBias),
      q_norm: c.qkNorm ? norm("q_norm") : null,
      k_norm: c.qkNorm ? norm("k_norm") : null,
    },
    { nHeads: c.nHeads, nKvHeads: c.nKvHeads, headDim: c.headDim },
  );
}

export const FULL_ATTENTION = "full_attention";

registerLayerType({
  name: FULL_ATTENTION,
  settings(raw) {
    const [k] = Object.keys(raw);
    if (k !== undefined) throw new ArgumentError(k, raw[k], "no such setting (full_attention has none)");
    return {};
  },
  weights: (c) => selfAttentionWeights(c),
  build: (c, _s, take) => buildSelfAttention(c, take),
});

/**
 * Check layerTypes (default: full_attention everywhere) and layerSettings against the registry.
 * Settings are kept for the types in use only. Throws ArgumentError with the config field.
 */
export function checkLayerTypes(
  types: unknown,
  settings: unknown,
  c: BaseConfig,
): { layerTypes: readonly string[]; layerSettings: Readonly<Record<string, LayerSettings>> } {
  const n = c.nLayers;
  const list = types === undefined ? Array<string>(n).fill(FULL_ATTENTION) : types;
  if (!Array.isArray(list) || list.length !== n) {
    throw new ArgumentError("layerTypes", types, `an array of ${n} layer type names (one per layer)`);
  }
  list.forEach((t, i) => {
    getLayerType(t as string, `layerTypes[${i}]`);
  });
  const raw = settings ?? {};
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new ArgumentError("layerSettings", settings, "an object of layer type name -> settings");
  }
  for (const k of Object.keys(raw)) getLayerType(k, `layerSettings.${k}`);
  const out: Record<string, LayerSettings> = {};
  for (const t of new Set(list as string[])) {
    const given = (raw as Record<string, unknown>)[t] ?? {};
    if (typeof given !== "object" || given === null || Array.isArray(given)) {
      throw new ArgumentError(`layerSettings.${t}`, given, "an object of settings");
    }
    try {
      out[t] = Object.freeze(getLayerType(t).settings(given as LayerSettings, c));
    } catch (e) {
      if (e instanceof ArgumentError) throw new ArgumentError(`layerSettings.${t}.${e.field}`, e.value, e.expected);
      throw e;
    }
  }
  return { layerTypes: Object.freeze([...(list as string[])]), layerSettings: Object.freeze(out) };
}

/** True when every layer is softmax attention (config.json then needs no layer_types). */
export const allFullAttention = (c: Pick<ModelConfig, "layerTypes">) => c.layerTypes.every((t) => t === FULL_ATTENTION);
