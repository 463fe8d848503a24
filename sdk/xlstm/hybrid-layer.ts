// The hybrid student's mixer (METHODS.md section 1), a module in an attention position:
//
//     h_t = o_t * mLSTM(phi_q(q), phi_k(k), v, i~, f~)_t + (1 - o_t) * SWA(q, k, v)_t,  y = o_proj(h)
//
// q, k, v, o (and OLMo2's q/k norms) are the softmax block's own modules under their names; new are
// the feature maps phi_q, phi_k [H, D, F] and the gate projections igate, fgate, ogate (x -> one
// pre-activation per head). q and k enter after RoPE; kv heads are repeated to the query heads
// before the feature maps (LoLCATs' order).
//
// Without a cache the layer runs the training form (chunkwise mLSTM, blocked sliding window). With
// a cache slot it keeps a HybridDecodeState there: a prompt runs chunkwise and leaves the state,
// and each later token costs the same whatever the context (the mLSTM step, and attention over at
// most sinks + window + a block of cached keys).
//
// Padding (an attention mask with zeros) is treated as absent tokens: the mLSTM skips them
// (input gate -1e30: they write nothing; forget gate 1: they decay nothing) and the softmax branch
// masks them, with windows and sinks counted in real tokens. While decoding, padding may only lead
// a row (generate's left padding).

import * as tf from "@tensorflow/tfjs-core";
import { ArgumentError } from "../errors.js";
import { applyRope } from "../nn/rope.js";
import { groupedAttention } from "../nn/attention.js";
import { fieldChildren, setFieldChild } from "../nn/children.js";
import { callModule, type LinearModule, type Module } from "../nn/module.js";
import type { AttentionContext, AttentionModule, AttentionShape } from "../nn/self-attention.js";
import { mlstmChunkwise } from "./chunkwise.js";
import type { FeatureMapModule } from "./feature-map-module.js";
import { softCap } from "./gates.js";
import { repeatKv } from "./hybrid.js";
import type { HybridSettings } from "./hybrid-settings.js";
import { HybridDecodeState } from "./hybrid-state.js";
import { maskRowsOf, maskedWindowBias } from "./masked-window.js";
import { outputGateMix } from "./output-gate.js";
import { slidingWindowAttention } from "./sliding-window.js";
import { mlstmStep } from "./step.js";

const CHILDREN = [
  "q_proj",
  "k_proj",
  "v_proj",
  "o_proj",
  "q_norm",
  "k_norm",
  "feature_map_q",
  "feature_map_k",
  "igate",
  "fgate",
  "ogate",
] as const;

/** A forget pre-activation whose log sigmoid is exactly 0 in float32: a padded token decays nothing. */
const KEEP_ALL = 1e4;
/**
 * The input pre-activation of a padded token: weight exp(-1e30 - m) = 0 beside any real token. Not
 * -inf: a chunk of padding alone would then have a stabiliser of -inf and NaN weights (-inf - -inf),
 * which the chunkwise form's sums across chunks spread to every position.
 */
const WRITE_NOTHING = -1e30;

export interface HybridParts {
  q_proj: LinearModule;
  k_proj: LinearModule;
  v_proj: LinearModule;
  o_proj: LinearModule;
  q_norm: Module | null;
  k_norm: Module | null;
  feature_map_q: FeatureMapModule;
  feature_map_k: FeatureMapModule;
  igate: LinearModule;
  fgate: LinearModule;
  ogate: LinearModule;
}

/** Per-head gate pre-activations [B, H, T] and the heads' q [B, H, T, D], k and v [B, Hkv, T, D]. */
interface Projected {
  q: tf.Tensor4D;
  k: tf.Tensor4D;
  v: tf.Tensor4D;
  iPre: tf.Tensor3D;
  fPre: tf.Tensor3D;
  oPre: tf.Tensor3D;
}

export class HybridAttention implements AttentionModule {
  q_proj: LinearModule;
  k_proj: LinearModule;
  v_proj: LinearModule;
  o_proj: LinearModule;
  q_norm: Module | null;
  k_norm: Module | null;
  feature_map_q: FeatureMapModule;
  feature_map_k: FeatureMapModule;
  igate: LinearModule;
  fgate: LinearModule;
  ogate: LinearModule;

  constructor(
    parts: HybridParts,
    readonly shape: AttentionShape,
    readonly settings: HybridSettings,
  ) {
    this.q_proj = parts.q_proj;
    this.k_proj = parts.k_proj;
    this.v_proj = parts.v_proj;
    this.o_proj = parts.o_proj;
    this.q_norm = parts.q_norm;
    this.k_norm = parts.k_norm;
    this.feature_map_q = parts.feature_map_q;
    this.feature_map_k = parts.feature_map_k;
    this.igate = parts.igate;
    this.fgate = parts.fgate;
    this.ogate = parts.ogate;
  }

  forward(x: tf.Tensor3D, ctx: AttentionContext): tf.Tensor3D {
    return tf.tidy(() => {
      const [B, T] = x.shape;
      const { nHeads: H, headDim: D } = this.shape;
      const p = this.project(x, ctx);
      const h = ctx.cache ? this.decode(p, ctx) : this.sequence(p, ctx.keyMask); // [B, H, T, D]
      const merged = tf.reshape(tf.transpose(h, [0, 2, 1, 3]), [B, T, H * D]); // [B, T, H*D]
      return callModule(this.o_proj, merged) as tf.Tensor3D; // [B, T, C]
    });
  }

  private project(x: tf.Tensor3D, ctx: AttentionContext): Projected {
    const [B, T] = x.shape;
    const { nHeads: H, nKvHeads: Hkv, headDim: D } = this.shape;
    let q = callModule(this.q_proj, x); // [B, T, H*D]
    let k = callModule(this.k_proj, x); // [B, T, Hkv*D]
    const v = callModule(this.v_proj, x); // [B, T, Hkv*D]
    if (this.q_norm) q = callModule(this.q_norm, q); // [B, T, H*D]
    if (this.k_norm) k = callModule(this.k_norm, k); // [B, T, Hkv*D]
    const heads = (t: tf.Tensor, n: number) => tf.transpose(tf.reshape(t, [B, T, n, D]), [0, 2, 1, 3]) as tf.Tensor4D; // [B, n, T, D]
    const cap = this.settings.gate_soft_cap;
    const gate = (m: LinearModule, capped: boolean) => {
      const g = tf.transpose(callModule(m, x), [0, 2, 1]) as tf.Tensor3D; // [B, H, T]
      return capped && cap !== null ? softCap(g, cap) : g; // capped here, so that padding stays far below any real gate
    };
    return {
      q: applyRope(heads(q, H), ctx.cos, ctx.sin), // [B, H, T, D]
      k: applyRope(heads(k, Hkv), ctx.cos, ctx.sin), // [B, Hkv, T, D]
      v: heads(v, Hkv), // [B, Hkv, T, D]
      iPre: gate(this.igate, true), // [B, H, T]
      fPre: gate(this.fgate, true), // [B, H, T]
      oPre: gate(this.ogate, false), // [B, H, T]
    };
  }

  /** The mLSTM's inputs: features of q and of k repeated to the query heads, v repeated. */
  private mlstmInputs(p: Projected): { phiQ: tf.Tensor4D; phiK: tf.Tensor4D; vH: tf.Tensor4D } {
    const H = this.shape.nHeads;
    return {
      phiQ: callModule(this.feature_map_q, p.q) as tf.Tensor4D, // [B, H, T, F']
      phiK: callModule(this.feature_map_k, repeatKv(p.k, H)) as tf.Tensor4D, // [B, H, T, F']
      vH: repeatKv(p.v, H), // [B, H, T, D]
    };
  }

  /** The gates with padded positions skipped: i~ = -1e30 (writes nothing), f~ large (log sigmoid 0: decays nothing). */
  private skipPadding(p: Projected, mask: tf.Tensor): Projected {
    const [B, H, T] = p.iPre.shape;
    const real = tf.cast(tf.reshape(mask, [B, 1, T]), "bool"); // [B, 1, T]
    const full = tf.broadcastTo(real, [B, H, T]); // [B, H, T]
    return {
      ...p,
      iPre: tf.where(full, p.iPre, tf.fill([B, H, T], WRITE_NOTHING)) as tf.Tensor3D, // [B, H, T]
      fPre: tf.where(full, p.fPre, tf.fill([B, H, T], KEEP_ALL)) as tf.Tensor3D, // [B, H, T]
    };
  }

  /** The training form over a whole sequence (keyMask [B, T] or null). */
  private sequence(p0: Projected, keyMask: tf.Tensor2D | null): tf.Tensor4D {
    const s = this.settings;
    const p = keyMask ? this.skipPadding(p0, keyMask) : p0;
    const { phiQ, phiK, vH } = this.mlstmInputs(p);
    const m = mlstmChunkwise(phiQ, phiK, vH, p.iPre, p.fPre, { chunkSize: s.chunk_size }); // [B, H, T, D]
    const swa = keyMask
      ? groupedAttention(p.q, p.k, p.v, maskedWindowBias(maskRowsOf(keyMask), s.window, s.sinks)) // [B, H, T, D]
      : slidingWindowAttention(p.q, p.k, p.v, { window: s.window, sinks: s.sinks }); // [B, H, T, D]
    return outputGateMix(p.oPre, m, swa); // [B, H, T, D]
  }

  /** A prompt or a decoding step, continuing the state in the cache slot. */
  private decode(p0: Projected, ctx: AttentionContext): tf.Tensor4D {
    const slot = ctx.cache!;
    const [B, H, T, D] = p0.q.shape;
    const s = this.settings;
    if (!slot.state) {
      if (ctx.offset !== 0) throw new Error(`mlstm_hybrid: a decoding state must start at position 0, not ${ctx.offset}`);
      slot.state = new HybridDecodeState({ window: s.window, sinks: s.sinks }, leadingPads(ctx.keyMask, B));
    }
    const state = slot.state;
    if (!(state instanceof HybridDecodeState)) throw new Error("mlstm_hybrid: the cache slot holds another module's state");
    if (state.length !== ctx.offset) {
      throw new Error(`mlstm_hybrid: the decoding state holds ${state.length} positions but this chunk starts at ${ctx.offset}`);
    }
    const offset = ctx.offset;
    const padded = state.pads.some((n) => n > offset); // padding inside this chunk
    const p = padded ? this.skipPadding(p0, chunkMask(state.pads, offset, T)) : p0;
    const { phiQ, phiK, vH } = this.mlstmInputs(p);
    let m: tf.Tensor4D;
    if (T === 1) {
      const one = (t: tf.Tensor) => tf.squeeze(t, [2]); // drop the token axis
      const r = mlstmStep(
        state.mlstm,
        one(phiQ) as tf.Tensor3D,
        one(phiK) as tf.Tensor3D,
        one(vH) as tf.Tensor3D,
        one(p.iPre) as tf.Tensor2D,
        one(p.fPre) as tf.Tensor2D,
      );
      m = tf.reshape(r.h, [B, H, 1, D]) as tf.Tensor4D; // [B, H, 1, D]
      state.setMlstm(r.state);
    } else {
      const r = mlstmChunkwise(phiQ, phiK, vH, p.iPre, p.fPre, { chunkSize: s.chunk_size, initialState: state.mlstm, returnState: true });
      m = r.h; // [B, H, T, D]
      state.setMlstm(r.state);
    }
    const anyPads = state.pads.some((n) => n > 0);
    const swa =
      offset === 0 && !anyPads
        ? slidingWindowAttention(p.q, p.k, p.v, { window: s.window, sinks: s.sinks }) // [B, H, T, D]
        : state.window.attend(p.q, p.k, p.v, offset); // [B, H, T, D]
    state.window.append(p.k, p.v, offset);
    state.length += T;
    return outputGateMix(p.oPre, m, swa); // [B, H, T, D]
  }

  namedChildren(): Iterable<[string, Module]> {
    return fieldChildren(this, CHILDREN);
  }

  setChild(name: string, module: Module): void {
    setFieldChild(this, "HybridAttention", CHILDREN, name, module);
  }
}

/** Padding positions at the start of each row of the prompt's mask; padding after a real token is refused. */
function leadingPads(keyMask: tf.Tensor2D | null, B: number): number[] {
  if (!keyMask) return Array<number>(B).fill(0);
  return maskRowsOf(keyMask).map((row, b) => {
    const first = row.findIndex((m) => m !== 0);
    const n = first < 0 ? row.length : first;
    const hole = row.findIndex((m, s) => s > n && m === 0);
    if (hole >= 0) {
      throw new ArgumentError(
        `attentionMask[${b}][${hole}]`,
        0,
        "1: a decoding hybrid layer takes padding only before a row's first token (left padding)",
      );
    }
    return n;
  });
}

/** [B, T] of 1 for real positions offset .. offset + T - 1 given each row's leading padding. */
function chunkMask(pads: readonly number[], offset: number, T: number): tf.Tensor2D {
  const a = new Float32Array(pads.length * T);
  pads.forEach((n, b) => {
    for (let t = 0; t < T; t++) a[b * T + t] = offset + t >= n ? 1 : 0;
  });
  return tf.tensor2d(a, [pads.length, T]);
}
