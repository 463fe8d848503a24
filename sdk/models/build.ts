// Assemble a Model from named variables (the shared step of `create` and `load`). Each layer's
// mixer comes from its layer type; every variable must be used, so a type whose weights() and
// build() disagree fails here rather than saving a model it cannot load.

import type * as tf from "@tensorflow/tfjs-core";
import { Linear } from "../nn/linear.js";
import { Embedding } from "../nn/embedding.js";
import { RMSNorm } from "../nn/rmsnorm.js";
import { SwiGLU } from "../nn/mlp.js";
import { PostNormLayer, PreNormLayer, type DecoderLayer } from "../nn/decoder-layer.js";
import { ModuleList } from "../nn/module-list.js";
import { DecoderStack } from "../nn/decoder-stack.js";
import { ropeInvFreq } from "../nn/rope.js";
import type { ModelConfig } from "./config.js";
import { getLayerType } from "./layer-types.js";
import { Model, type ModelExtras } from "./model.js";

export function buildModel(c: ModelConfig, vars: Map<string, tf.Variable>, extras: ModelExtras = {}): Model {
  const used = new Set<string>();
  const take = (name: string): tf.Variable => {
    const v = vars.get(name);
    if (!v) throw new Error(`buildModel: no weight "${name}"`);
    used.add(name);
    return v;
  };
  const lin = (p: string, bias: boolean) =>
    new Linear(take(`${p}.weight`) as tf.Variable<tf.Rank.R2>, bias ? (take(`${p}.bias`) as tf.Variable<tf.Rank.R1>) : null);
  const norm = (p: string) => new RMSNorm(take(`${p}.weight`) as tf.Variable<tf.Rank.R1>, c.rmsNormEps);

  const layers: DecoderLayer[] = [];
  for (let i = 0; i < c.nLayers; i++) {
    const p = `model.layers.${i}`;
    const type = c.layerTypes[i];
    const attn = getLayerType(type).build(c, c.layerSettings[type], (n) => take(`${p}.self_attn.${n}`), i);
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
  const model = new Model(c, { model: stack, lm_head: lmHead }, extras);
  // what save() will write must be what load() reads: the tree's names are the layout's names
  const held = [...model.parameters().keys()];
  const stray = [...held.filter((n) => !vars.has(n)), ...[...vars.keys()].filter((n) => !used.has(n))];
  if (stray.length) {
    const at = stray[0].match(/^model\.layers\.(\d+)\.self_attn\./);
    const who = at ? `layer type "${c.layerTypes[Number(at[1])]}" (layer ${at[1]})` : "the model";
    throw new Error(`buildModel: ${who} holds weights its layout does not name, or leaves some unused: ${stray.slice(0, 5).join(", ")}`);
  }
  return model;
}
