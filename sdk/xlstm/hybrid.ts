// The hybrid student's attention as pure functions (METHODS.md section 1): an mLSTM over learned
// feature maps of q and k, sliding-window softmax attention with sinks over the raw q, k, v, and a
// per-head sigmoid output gate mixing the two:
//
//     h_t = o_t * mLSTM(phi_q(q), phi_k(k), v, i~, f~)_t + (1 - o_t) * SWA(q, k, v)_t
//
// q and k arrive after RoPE; grouped kv heads are repeated to the query heads before the feature
// map (LoLCATs' order: RoPE, repeat kv, feature map). The layer that owns the projections and
// weights composes these; the training form is chunkwise, the decoding form one step at a time.

import * as tf from "@tensorflow/tfjs-core";
import { mlstmChunkwise } from "./chunkwise.js";
import { type FeatureMapKind, featureMap } from "./feature-map.js";
import { badShape, expectShape, type MlstmOptions } from "./options.js";
import { outputGateMix } from "./output-gate.js";
import type { MlstmState } from "./state.js";
import { mlstmStep } from "./step.js";
import {
  type SlidingWindowCache,
  type SlidingWindowOptions,
  slidingWindowAttention,
  slidingWindowCache,
  slidingWindowStep,
} from "./sliding-window.js";

export type HybridInputs<Seq extends boolean = true> = {
  /** queries after RoPE: [B, H, S, D] (one token: [B, H, D]) */
  q: Seq extends true ? tf.Tensor4D : tf.Tensor3D;
  /** keys after RoPE: [B, Hkv, S, D] (one token: [B, Hkv, D]) */
  k: Seq extends true ? tf.Tensor4D : tf.Tensor3D;
  /** values: [B, Hkv, S, D] (one token: [B, Hkv, D]) */
  v: Seq extends true ? tf.Tensor4D : tf.Tensor3D;
  /** mLSTM input and forget gate pre-activations, output gate pre-activation: [B, H, S] each (one token: [B, H]) */
  iPre: Seq extends true ? tf.Tensor3D : tf.Tensor2D;
  fPre: Seq extends true ? tf.Tensor3D : tf.Tensor2D;
  oPre: Seq extends true ? tf.Tensor3D : tf.Tensor2D;
};

export interface HybridWeights {
  /** feature maps of queries and keys: [H, D, F] each */
  featureQ: tf.Tensor3D;
  featureK: tf.Tensor3D;
}

export interface HybridOptions extends SlidingWindowOptions {
  /** Default "hedgehog". */
  featureMap?: FeatureMapKind;
  /** Chunk length of the mLSTM's chunkwise form. Default 64. */
  chunkSize?: number;
  /** eps, mInit and gate soft-cap of the mLSTM branch. */
  mlstm?: MlstmOptions;
}

export type HybridState = {
  mlstm: MlstmState;
  window: SlidingWindowCache;
};

/** [B, Hkv, ...rest] -> [B, H, ...rest]: query head h reads kv head floor(h / R). */
export function repeatKv<T extends tf.Tensor>(x: T, H: number): T {
  const [B, Hkv, ...rest] = x.shape as number[];
  if (Hkv === H) return x;
  const n = rest.reduce((a, b) => a * b, 1);
  return tf.reshape(tf.tile(tf.reshape(x, [B!, Hkv!, 1, n]), [1, 1, H / Hkv!, 1]), [B!, H, ...rest]) as T; // [B, H, ...rest]
}

/**
 * The hybrid attention over a sequence (the chunkwise mLSTM: the training form).
 *
 * @returns the mixed heads [B, H, S, D] (before the output projection); with `returnState`, also the
 *   state to decode on from with {@link hybridAttentionStep}
 */
export function hybridAttention(
  x: HybridInputs,
  w: HybridWeights,
  opts: HybridOptions & { returnState: true },
): { h: tf.Tensor4D; state: HybridState };
export function hybridAttention(x: HybridInputs, w: HybridWeights, opts: HybridOptions): tf.Tensor4D;
export function hybridAttention(
  x: HybridInputs,
  w: HybridWeights,
  opts: HybridOptions & { returnState?: boolean },
): tf.Tensor4D | { h: tf.Tensor4D; state: HybridState } {
  const fn = "hybridAttention";
  if (x?.q?.rank !== 4) badShape(fn, "q", x?.q, "[B, H, S, D]");
  const [B, H, S] = x.q.shape;
  expectShape(fn, "oPre", x.oPre, [B, H, S], "[B, H, S]");
  const out = tf.tidy(() => {
    const kH = repeatKv(x.k, H); // [B, H, S, D]
    const vH = repeatKv(x.v, H); // [B, H, S, D]
    const phiQ = featureMap(x.q, w.featureQ, { kind: opts.featureMap }); // [B, H, S, F]
    const phiK = featureMap(kH, w.featureK, { kind: opts.featureMap }); // [B, H, S, F]
    const m = mlstmChunkwise(phiQ, phiK, vH, x.iPre, x.fPre, { ...opts.mlstm, chunkSize: opts.chunkSize, returnState: true }); // h [B, H, S, D]
    const swa = slidingWindowAttention(x.q, x.k, x.v, opts); // [B, H, S, D]
    const h = outputGateMix(x.oPre, m.h, swa); // [B, H, S, D]
    if (!opts.returnState) return { h };
    return { h, state: { mlstm: m.state, window: slidingWindowCache(x.k, x.v, opts) } };
  });
  return "state" in out ? (out as { h: tf.Tensor4D; state: HybridState }) : out.h;
}

/**
 * One decoding step of the hybrid attention: constant work in the context length (the mLSTM
 * state, and at most sinks + window cached keys).
 *
 * @param state from `hybridAttention(..., {returnState: true})` or a previous step; null before the first token
 * @returns h [B, H, D] and the new state (new tensors; the caller disposes the old state)
 */
export function hybridAttentionStep(
  state: HybridState | null,
  x: HybridInputs<false>,
  w: HybridWeights,
  opts: HybridOptions,
): { h: tf.Tensor3D; state: HybridState } {
  const fn = "hybridAttentionStep";
  if (x?.q?.rank !== 3) badShape(fn, "q", x?.q, "[B, H, D] (one token)");
  const [B, H] = x.q.shape;
  expectShape(fn, "oPre", x.oPre, [B, H], "[B, H]");
  return tf.tidy(() => {
    const phiQ = featureMap(x.q, w.featureQ, { kind: opts.featureMap }); // [B, H, F]
    const phiK = featureMap(repeatKv(x.k, H), w.featureK, { kind: opts.featureMap }); // [B, H, F]
    const m = mlstmStep(state?.mlstm ?? null, phiQ, phiK, repeatKv(x.v, H), x.iPre, x.fPre, opts.mlstm); // h [B, H, D]
    const swa = slidingWindowStep(state?.window ?? null, x.q, x.k, x.v, opts); // h [B, H, D]
    return { h: outputGateMix(x.oPre, m.h, swa.h), state: { mlstm: m.state, window: swa.cache } }; // h [B, H, D]
  });
}
