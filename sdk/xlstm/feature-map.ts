// Learned feature maps phi for the mLSTM's queries and keys in the hybrid student: softmax over the
// feature dimension of a per-head linear map (Hedgehog), or LoLCATs' signed pair of softmaxes.

import * as tf from "@tensorflow/tfjs-core";
import { ArgumentError } from "../errors.js";
import { badShape, expectShape } from "./options.js";

/**
 * - "hedgehog": phi(x) = softmax(x W_h), F features.
 * - "lolcats": phi(x) = [softmax(x W_h), softmax(-x W_h)], 2F features (LoLCATs' Hedgehog variant).
 */
export type FeatureMapKind = "hedgehog" | "lolcats";

export const FEATURE_MAP_KINDS: readonly FeatureMapKind[] = ["hedgehog", "lolcats"];

export interface FeatureMapOptions {
  /** Default "hedgehog". */
  kind?: FeatureMapKind;
  /** per-head bias added to x W_h: [H, F]. Default none. */
  bias?: tf.Tensor2D | null;
  /** Lower clamp of the features (LoLCATs: 1e-12), so that no feature is exactly 0. Default 1e-12; 0 turns it off. */
  clampMin?: number;
}

/** Features per input of `featureMap` with a weight of F columns. */
export function featureDim(F: number, kind: FeatureMapKind = "hedgehog"): number {
  return kind === "lolcats" ? 2 * F : F;
}

/**
 * The per-head feature map phi(x) = softmax(x W_h) over the feature dimension.
 *
 * @param x [B, H, S, D] (a sequence) or [B, H, D] (one token)
 * @param weight W: [H, D, F], one map per head
 * @returns [B, H, S, F'] or [B, H, F'], F' = F ("hedgehog") or 2F ("lolcats")
 */
export function featureMap<T extends tf.Tensor3D | tf.Tensor4D>(x: T, weight: tf.Tensor3D, opts: FeatureMapOptions = {}): T {
  const fn = "featureMap";
  const kind = opts.kind ?? "hedgehog";
  const clampMin = opts.clampMin ?? 1e-12;
  if (!FEATURE_MAP_KINDS.includes(kind)) {
    throw new ArgumentError("kind", kind, `one of ${FEATURE_MAP_KINDS.map((s) => JSON.stringify(s)).join(", ")}`, fn);
  }
  if (typeof clampMin !== "number" || !(clampMin >= 0) || !Number.isFinite(clampMin)) {
    throw new ArgumentError("clampMin", clampMin, "a finite number >= 0", fn);
  }
  if (!x || (x.rank !== 3 && x.rank !== 4)) badShape(fn, "x", x, "[B, H, S, D] or [B, H, D]");
  const [B, H] = x.shape;
  const D = x.shape[x.rank - 1]!;
  if (weight?.rank !== 3) badShape(fn, "weight", weight, "[H, D, F]");
  const F = weight.shape[2];
  expectShape(fn, "weight", weight, [H, D, F], "[H, D, F] (H and D from x)");
  if (opts.bias) expectShape(fn, "bias", opts.bias, [H, F], "[H, F]");
  return tf.tidy(() => {
    const S = x.rank === 4 ? x.shape[2]! : 1;
    // one product per head over all B * S rows: a [1, H, D, F] weight broadcast over B would be
    // faster to write, but tfjs's BatchMatMul gradient does not sum a broadcast batch axis back
    const rows = B === 1 ? tf.reshape(x, [H, S, D]) : tf.reshape(tf.transpose(tf.reshape(x, [B, H, S, D]), [1, 0, 2, 3]), [H, B * S, D]); // [H, B*S, D]
    const zh = tf.matMul(rows, weight); // [H, B*S, F]
    let z: tf.Tensor = B === 1 ? tf.reshape(zh, [1, H, S, F]) : tf.transpose(tf.reshape(zh, [H, B, S, F]), [1, 0, 2, 3]); // [B, H, S, F]
    if (opts.bias) z = tf.add(z, tf.reshape(opts.bias, [1, H, 1, F])); // [B, H, S, F]
    let phi: tf.Tensor = tf.softmax(z, -1); // [B, H, S, F]
    if (kind === "lolcats") {
      // side by side through [B*H*S, F] views: wasm concatenates rank 4 on a slow generic path
      const rows = (t: tf.Tensor) => tf.reshape(t, [B * H * S, F]);
      phi = tf.reshape(tf.concat([rows(phi), rows(tf.softmax(tf.neg(z), -1))], 1), [B, H, S, 2 * F]); // [B, H, S, 2F]
    }
    if (clampMin > 0) phi = tf.maximum(phi, clampMin); // [B, H, S, F']
    return (x.rank === 4 ? phi : tf.reshape(phi, [B, H, phi.shape[3]!])) as T; // [B, H, S, F'] or [B, H, F']
  });
}
