// The decoder body: token embedding, a stack of blocks, final norm (HF "model.*").
// Builds the per-forward context once (rotary tables, causal/padding bias) and threads the
// decoding state of each layer through its slot.

import * as tf from "@tensorflow/tfjs-core";
import { ropeCosSin } from "./rope.js";
import { attentionBias } from "./attention.js";
import { fieldChildren, setFieldChild } from "./children.js";
import { callModule, type Module } from "./module.js";
import { ModuleList } from "./module-list.js";
import type { DecodeCache } from "./kv-cache.js";
import type { AttentionContext } from "./self-attention.js";
import type { DecoderLayer } from "./decoder-layer.js";

export interface StackRun {
  /** absolute position of every token, [B, T] */
  positions: tf.Tensor2D;
  /** [B, S] 1 = real, 0 = padding over all key positions (cached + new); null = no padding */
  keyMask: tf.Tensor2D | null;
  /** decoding state; its `length` is the number of positions cached before this call */
  cache?: DecodeCache;
}

/**
 * The context every attention module of one forward shares: rotary tables at the positions and the
 * causal + padding bias over offset + T keys. Also for running a single attention module outside
 * the model (layer-wise distillation): call inside a tf.tidy.
 */
export function attentionContext(
  invFreq: Float32Array,
  positions: tf.Tensor2D,
  keyMask: tf.Tensor2D | null = null,
  offset = 0,
): AttentionContext {
  const T = positions.shape[1];
  const { cos, sin } = ropeCosSin(positions, invFreq); // [B, T, D] each
  const bias = attentionBias(T, offset + T, offset, keyMask); // [B|1, 1, T, S] or null
  return { cos, sin, offset, keyMask, bias };
}

const CHILDREN = ["embed_tokens", "layers", "norm"] as const;

export class DecoderStack implements Module {
  constructor(
    public embed_tokens: Module,
    public layers: ModuleList<DecoderLayer>,
    public norm: Module,
    /** rotary inverse frequencies [D/2] */
    readonly invFreq: Float32Array,
  ) {}

  /** ids [B, T] -> hidden states [B, T, C] after the final norm. */
  forward(ids: tf.Tensor2D, run: StackRun): tf.Tensor3D {
    return tf.tidy(() => {
      const shared = attentionContext(this.invFreq, run.positions, run.keyMask, run.cache?.length ?? 0);
      let x = callModule(this.embed_tokens, ids) as tf.Tensor3D; // [B, T, C]
      this.layers.items.forEach((layer, i) => {
        x = callModule(layer, x, { ...shared, cache: run.cache?.slots[i] }); // [B, T, C]
      });
      return callModule(this.norm, x) as tf.Tensor3D; // [B, T, C]
    });
  }

  namedChildren(): Iterable<[string, Module]> {
    return fieldChildren(this, CHILDREN);
  }

  setChild(name: string, module: Module): void {
    setFieldChild(this, "DecoderStack", CHILDREN, name, module, (n, m) => {
      if (n === "layers" && !(m instanceof ModuleList))
        throw new Error(`"layers" must stay a ModuleList; replace single layers ("layers.0") instead`);
    });
  }
}
