// The checkpoint layout a config implies: every weight's Hugging Face name, shape and init.

import type { ModelConfig } from "./config.js";

export interface WeightSpec {
  name: string;
  shape: number[];
  /** what `create` fills it with: N(0, initStd^2), zeros (biases) or ones (norm gains) */
  init: "normal" | "zeros" | "ones";
}

export function weightSpecs(c: ModelConfig): WeightSpec[] {
  const { vocabSize: V, dModel: C, dFf: F, nHeads: H, nKvHeads: Hkv, headDim: D } = c;
  const specs: WeightSpec[] = [{ name: "model.embed_tokens.weight", shape: [V, C], init: "normal" }];
  const lin = (name: string, out: number, inp: number, bias: boolean) => {
    specs.push({ name: `${name}.weight`, shape: [out, inp], init: "normal" });
    if (bias) specs.push({ name: `${name}.bias`, shape: [out], init: "zeros" });
  };
  const norm = (name: string, n: number) => specs.push({ name: `${name}.weight`, shape: [n], init: "ones" });
  for (let i = 0; i < c.nLayers; i++) {
    const p = `model.layers.${i}`;
    lin(`${p}.self_attn.q_proj`, H * D, C, c.qkvBias);
    lin(`${p}.self_attn.k_proj`, Hkv * D, C, c.qkvBias);
    lin(`${p}.self_attn.v_proj`, Hkv * D, C, c.qkvBias);
    lin(`${p}.self_attn.o_proj`, C, H * D, c.outputBias);
    if (c.qkNorm) {
      norm(`${p}.self_attn.q_norm`, H * D);
      norm(`${p}.self_attn.k_norm`, Hkv * D);
    }
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
