// Assemble a Model from named variables (the shared step of `create` and `load`).

import type * as tf from "@tensorflow/tfjs-core";
import { Linear } from "../nn/linear.js";
import { Embedding } from "../nn/embedding.js";
import { RMSNorm } from "../nn/rmsnorm.js";
import { SelfAttention } from "../nn/self-attention.js";
import { SwiGLU } from "../nn/mlp.js";
import { PostNormLayer, PreNormLayer, type DecoderLayer } from "../nn/decoder-layer.js";
import { ModuleList } from "../nn/module-list.js";
import { DecoderStack } from "../nn/decoder-stack.js";
import { ropeInvFreq } from "../nn/rope.js";
import type { ModelConfig } from "./config.js";
import { Model, type ModelExtras } from "./model.js";

export function buildModel(c: ModelConfig, vars: Map<string, tf.Variable>, extras: ModelExtras = {}): Model {
  const take = (name: string): tf.Variable => {
    const v = vars.get(name);
    if (!v) throw new Error(`buildModel: no weight "${name}"`);
    return v;
  };
  const lin = (p: string, bias: boolean) =>
    new Linear(take(`${p}.weight`) as tf.Variable<tf.Rank.R2>, bias ? (take(`${p}.bias`) as tf.Variable<tf.Rank.R1>) : null);
  const norm = (p: string) => new RMSNorm(take(`${p}.weight`) as tf.Variable<tf.Rank.R1>, c.rmsNormEps);

  const layers: DecoderLayer[] = [];
  for (let i = 0; i < c.nLayers; i++) {
    const p = `model.layers.${i}`;
    const a = `${p}.self_attn`;
    const attn = new SelfAttention(
      {
        q_proj: lin(`${a}.q_proj`, c.qkvBias),
        k_proj: lin(`${a}.k_proj`, c.qkvBias),
        v_proj: lin(`${a}.v_proj`, c.qkvBias),
        o_proj: lin(`${a}.o_proj`, c.outputBias),
        q_norm: c.qkNorm ? norm(`${a}.q_norm`) : null,
        k_norm: c.qkNorm ? norm(`${a}.k_norm`) : null,
      },
      { nHeads: c.nHeads, nKvHeads: c.nKvHeads, headDim: c.headDim },
    );
    const mlp = new SwiGLU(lin(`${p}.mlp.gate_proj`, c.mlpBias), lin(`${p}.mlp.up_proj`, c.mlpBias), lin(`${p}.mlp.down_proj`, c.mlpBias));
    layers.push(
      c.postNorm
        ? new PostNormLayer(attn, mlp, norm(`${p}.post_attention_layernorm`), norm(`${p}.post_feedforward_layernorm`))
        : new PreNormLayer(attn, mlp, norm(`${p}.input_layernorm`), norm(`${p}.post_attention_layernorm`)),
    );
  }
  const embed = new Embedding(take("model.embed_tokens.weight") as tf.Variable<tf.Rank.R2>);
  const stack = new DecoderStack(embed, new ModuleList(layers), norm("model.norm"), ropeInvFreq(c.headDim, c.ropeTheta, c.ropeScaling));
  const lmHead = new Linear(c.tieEmbeddings ? embed.weight : (take("lm_head.weight") as tf.Variable<tf.Rank.R2>));
  return new Model(c, { model: stack, lm_head: lmHead }, extras);
}
