// Registers the "mlstm_hybrid" layer type (importing sdk/xlstm does it): config.json's layer_types
// may then name it, and create, load and save build and round-trip models with hybrid layers.

import type * as tf from "@tensorflow/tfjs-core";
import { buildSelfAttention, registerLayerType, type LayerType } from "../models/layer-types.js";
import { Linear } from "../nn/linear.js";
import { FeatureMapModule } from "./feature-map-module.js";
import { HybridAttention } from "./hybrid-layer.js";
import { hybridWeights } from "./hybrid-init.js";
import { MLSTM_HYBRID, hybridSettings, type HybridSettings } from "./hybrid-settings.js";

export const HYBRID_LAYER_TYPE: LayerType<HybridSettings> = {
  name: MLSTM_HYBRID,
  settings: (raw, c) => hybridSettings(raw, c),
  weights: (c, s) => hybridWeights(c, s),
  build(c, s, take) {
    const sa = buildSelfAttention(c, take); // q, k, v, o and the family's norms, under their names
    const gate = (name: string) =>
      new Linear(take(`${name}.weight`) as tf.Variable<tf.Rank.R2>, take(`${name}.bias`) as tf.Variable<tf.Rank.R1>);
    const map = (name: string) => new FeatureMapModule(take(`${name}.weight`) as tf.Variable<tf.Rank.R3>, s.feature_map);
    return new HybridAttention(
      {
        q_proj: sa.q_proj,
        k_proj: sa.k_proj,
        v_proj: sa.v_proj,
        o_proj: sa.o_proj,
        q_norm: sa.q_norm,
        k_norm: sa.k_norm,
        feature_map_q: map("feature_map_q"),
        feature_map_k: map("feature_map_k"),
        igate: gate("igate"),
        fgate: gate("fgate"),
        ogate: gate("ogate"),
      },
      { nHeads: c.nHeads, nKvHeads: c.nKvHeads, headDim: c.headDim },
      s,
    );
  },
};

registerLayerType(HYBRID_LAYER_TYPE);
