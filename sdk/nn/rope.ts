// Rotary position embeddings, Hugging Face convention: the head dim splits into halves
// (rotate_half), not interleaved pairs; optional Llama 3 frequency scaling.

import * as tf from "@tensorflow/tfjs-core";
import { ropeFused } from "../backend/fused/index.js";

/** Llama 3 rope scaling (Hugging Face rope_type "llama3"). */
export interface Llama3RopeScaling {
  type: "llama3";
  factor: number;
  lowFreqFactor: number;
  highFreqFactor: number;
  originalMaxPositionEmbeddings: number;
}

/** inv_freq[i] = theta^(-2i/D), i < D/2, then Llama 3 scaling when given. */
export function ropeInvFreq(headDim: number, theta: number, scaling: Llama3RopeScaling | null = null): Float32Array {
  const half = headDim / 2;
  const inv = new Float32Array(half);
  for (let i = 0; i < half; i++) inv[i] = 1 / theta ** Math.fround((2 * i) / headDim);
  if (!scaling) return inv;
  const { factor, lowFreqFactor, highFreqFactor, originalMaxPositionEmbeddings: ctx } = scaling;
  const lowFreqWavelen = ctx / lowFreqFactor;
  const highFreqWavelen = ctx / highFreqFactor;
  for (let i = 0; i < half; i++) {
    const f = inv[i];
    const wavelen = (2 * Math.PI) / f;
    if (wavelen < highFreqWavelen) continue; // high frequency: unchanged
    if (wavelen > lowFreqWavelen) {
      inv[i] = f / factor; // low frequency: interpolated by the full factor
      continue;
    }
    const smooth = (ctx / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
    inv[i] = (1 - smooth) * (f / factor) + smooth * f; // medium: blend
  }
  return inv;
}

/** cos/sin tables at the given positions: [B, T] -> [B, T, D] each (the D/2 angles repeated twice). */
export function ropeCosSin(positions: tf.Tensor2D, invFreq: Float32Array): { cos: tf.Tensor3D; sin: tf.Tensor3D } {
  return tf.tidy(() => {
    const inv = tf.tensor1d(invFreq); // [D/2]
    const freqs = tf.mul(tf.expandDims(tf.cast(positions, "float32"), -1), inv); // [B, T, D/2]
    const emb = tf.concat([freqs, freqs], -1) as tf.Tensor3D; // [B, T, D]
    return { cos: tf.cos(emb), sin: tf.sin(emb) };
  });
}

/** The signed permutation R [D, D] with x R = rotate_half(x) = [-x2, x1]. */
const rotations = new Map<number, Float32Array>();
function rotation(D: number): tf.Tensor2D {
  let m = rotations.get(D);
  if (!m) {
    const h = D / 2;
    m = new Float32Array(D * D);
    for (let i = 0; i < h; i++) {
      m[(i + h) * D + i] = -1; // out[i]     = -x[i + h]
      m[i * D + (i + h)] = 1; // out[i + h] =  x[i]
    }
    rotations.set(D, m);
  }
  return tf.tensor2d(m, [D, D]); // a fresh tensor each call: a kept one would outlive every tidy
}

/** [x1, x2] -> [-x2, x1] over the halves of the last axis. One small matmul rather than
 *  split + neg + concat: forward and backward then stay on the matmul kernel, which is several
 *  times faster on wasm than SplitV/Concat and their gradients. */
export function rotateHalf(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const D = x.shape[x.shape.length - 1]!;
    const flat = tf.reshape(x, [-1, D]); // [N, D]
    return tf.reshape(tf.matMul(flat, rotation(D)), x.shape); // [..., D]
  });
}

/** x [B, H, T, D] rotated by position: x cos + rotate_half(x) sin, with cos/sin [B, T, D]. */
export function applyRope(x: tf.Tensor4D, cos: tf.Tensor3D, sin: tf.Tensor3D): tf.Tensor4D {
  const fused = ropeFused(x, cos, sin); // one kernel where the backend has it
  if (fused) return fused;
  return tf.tidy(() => {
    const c = tf.expandDims(cos, 1); // [B, 1, T, D]
    const s = tf.expandDims(sin, 1); // [B, 1, T, D]
    return tf.add(tf.mul(x, c), tf.mul(rotateHalf(x), s)) as tf.Tensor4D; // [B, H, T, D]
  });
}
