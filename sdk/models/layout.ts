// The checkpoint layout a config implies: every weight's Hugging Face name, shape and init. Each
// layer's mixer ("self_attn") contributes the weights its layer type lists.

import type { Rng } from "../nn/random.js";
import type { ModelConfig } from "./config.js";
import { getLayerType } from "./layer-types.js";

/** How `create` fills a weight: N(0, initStd^2), zeros (biases), ones (norm gains), or a function of a seeded rng. */
export type WeightInit = "normal" | "zeros" | "ones" | ((rng: Rng, size: number) => Float32Array);

export interface WeightSpec {
  name: string;
  shape: number[];
  init: WeightInit;
}

export function weightSpecs(c: ModelConfig): WeightSpec[] {
  const { vocabSize: V, dModel: C, dFf: F } = c;
  const specs: WeightSpec[] = [{ name: "model.embed_tokens.weight", shape: [V, C], init: "normal" }];
  const lin = (name: string, out: number, inp: number, bias: boolean) => {
    specs.push({ name: `${name}.weight`, shape: [out, inp], init: "normal" });
    if (bias) specs.push({ name: `${name}.bias`, shape: [out], init: "zeros" });
  };
  const norm = (name: string, n: number) => specs.push({ name: `${name}.weight`, shape: [n], init: "ones" });
  for (let i = 0; i < c.nLayers; i++) {
    const p = `model.layers.${i}`;
    const type = c.layerTypes[i];
    for (const w of getLayerType(type).weights(c, c.layerSettings[type], i)) specs.push({ ...w, name: `${p}.self_attn.${w.name}` });
    lin(`${p}.mlp.gate_proj`, F, C, c.mlpBias);
    lin(`${p}.mlp.up_proj`, F, C, c.mlpBias);
    lin(`${p}.mlp.down_proj`, C, F, c.mlpBias);
    if (c.postNorm) {
      norm(`${p}.post_attention_layernorm`, C);
      norm(`${p}.post_feedforward_layernorm`, C);
    } else {
      norm(`${p}.input_layernorm`, C);
      norm(`${p}.post_attention_layernorm`, C);
    }
  }
  norm("model.norm", C);
  if (!c.tieEmbeddings) specs.push({ name: "lm_head.weight", shape: [V, C], init: "normal" });
  return specs;
}
