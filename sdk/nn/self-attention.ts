// Softmax self-attention block (Llama / Qwen2 / OLMo2): q, k, v projections, optional RMSNorm over
// the full q and k projections (OLMo2), RoPE, grouped-query attention, output projection.

import * as tf from "@tensorflow/tfjs-core";
import { applyRope } from "./rope.js";
import { groupedAttention } from "./attention.js";
import { KVState, type StateSlot } from "./kv-cache.js";
import { fieldChildren, setFieldChild } from "./children.js";
import { callModule, type LinearModule, type Module } from "./module.js";

/** Everything an attention module gets besides its input; built once per forward by the model. */
export interface AttentionContext {
  /** rotary tables at the query positions, [B, T, D] */
  cos: tf.Tensor3D;
  sin: tf.Tensor3D;
  /** positions already in the decoding state before this chunk (0 without a cache) */
  offset: number;
  /** [B, S] 1 = real token, 0 = padding, over all S = offset + T key positions; null = no padding */
  keyMask: tf.Tensor2D | null;
  /** additive causal + padding bias [B|1, 1, T, S] for softmax attention; null = nothing masked */
  bias: tf.Tensor4D | null;
  /** this layer's decoding state slot; absent when not decoding with a cache */
  cache?: StateSlot;
}

/** What can stand in an attention position: x [B, T, C] -> y [B, T, C]. */
export interface AttentionModule extends Module {
  forward(x: tf.Tensor3D, ctx: AttentionContext): tf.Tensor3D;
}

export interface AttentionShape {
  nHeads: number;
  nKvHeads: number;
  headDim: number;
}

const CHILDREN = ["q_proj", "k_proj", "v_proj", "o_proj", "q_norm", "k_norm"] as const;

export class SelfAttention implements AttentionModule {
  q_proj: LinearModule;
  k_proj: LinearModule;
  v_proj: LinearModule;
  o_proj: LinearModule;
  /** OLMo2 only: RMSNorm over the whole q / k projection */
  q_norm: Module | null;
  k_norm: Module | null;

  constructor(
    parts: {
      q_proj: LinearModule;
      k_proj: LinearModule;
      v_proj: LinearModule;
      o_proj: LinearModule;
      q_norm?: Module | null;
      k_norm?: Module | null;
    },
    readonly shape: AttentionShape,
  ) {
    this.q_proj = parts.q_proj;
    this.k_proj = parts.k_proj;
    this.v_proj = parts.v_proj;
    this.o_proj = parts.o_proj;
    this.q_norm = parts.q_norm ?? null;
    this.k_norm = parts.k_norm ?? null;
  }

  forward(x: tf.Tensor3D, ctx: AttentionContext): tf.Tensor3D {
    return tf.tidy(() => {
      const [B, T] = x.shape;
      const { nHeads: H, nKvHeads: Hkv, headDim: D } = this.shape;
      let q = callModule(this.q_proj, x); // [B, T, H*D]
      let k = callModule(this.k_proj, x); // [B, T, Hkv*D]
      const v0 = callModule(this.v_proj, x); // [B, T, Hkv*D]
      if (this.q_norm) q = callModule(this.q_norm, q); // [B, T, H*D]
      if (this.k_norm) k = callModule(this.k_norm, k); // [B, T, Hkv*D]
      const heads = (t: tf.Tensor, n: number) => tf.transpose(tf.reshape(t, [B, T, n, D]), [0, 2, 1, 3]) as tf.Tensor4D; // [B, n, T, D]
      const qh = applyRope(heads(q, H), ctx.cos, ctx.sin); // [B, H, T, D]
      let kh = applyRope(heads(k, Hkv), ctx.cos, ctx.sin); // [B, Hkv, T, D]
      let vh = heads(v0, Hkv); // [B, Hkv, T, D]
      if (ctx.cache) {
        ctx.cache.state ??= new KVState();
        const state = ctx.cache.state;
        if (!(state instanceof KVState)) throw new Error("SelfAttention: the cache slot holds another module's state");
        [kh, vh] = state.append(kh, vh); // [B, Hkv, S, D]
      }
      const y = groupedAttention(qh, kh, vh, ctx.bias); // [B, H, T, D]
      const merged = tf.reshape(tf.transpose(y, [0, 2, 1, 3]), [B, T, H * D]); // [B, T, H*D]
      return callModule(this.o_proj, merged) as tf.Tensor3D; // [B, T, C]
    });
  }

  namedChildren(): Iterable<[string, Module]> {
    return fieldChildren(this, CHILDREN);
  }

  setChild(name: string, module: Module): void {
    setFieldChild(this, "SelfAttention", CHILDREN, name, module);
  }
}
