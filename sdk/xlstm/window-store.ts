// The keys and values sliding-window attention keeps while decoding, at most sinks + window +
// block positions whatever the context length, stored so that a step copies O(block) values rather
// than the whole window (wasm's Slice and Concat copy, ~1.5 ms per step for a 512-token window):
//
//   sinks   [B, Hkv, P, D]   slot j of row b: row b's j-th real token (zeros until it arrives)
//   frozen  [B, Hkv, Nf, D]  older window positions, rebuilt once every `block` tokens
//   current [B, Hkv, Nc, D]  the newest positions, Nc < block; one token is appended per step
//
// A query attends to the parts side by side (scores per part, one softmax over their
// concatenation), so the window itself is never concatenated per step; positions that have left
// the window, and slots not yet written, are masked by an additive bias built in JavaScript from the
// positions each part holds. Keys are stored after RoPE, so their order does not matter.
//
// Rows may start with padding (generate's left padding of unequal prompts): `pads[b]` positions,
// counted at the prefill. Row b's real token r is stream position pads[b] + r; its sinks are its
// first P real tokens, and a key s is in the window of query t when t - s < window (pads come only
// first, so real distances equal stream distances).

import * as tf from "@tensorflow/tfjs-core";
import { MASKED } from "../nn/attention.js";
import { concatSeq, sliceSeq } from "./seq-ops.js";

/** Positions appended per frozen rebuild: a step copies at most this many keys; a rebuild copies the window once. */
export const WINDOW_BLOCK = 32;

export interface WindowLayout {
  window: number;
  sinks: number;
}

type Part = { k: tf.Tensor4D; v: tf.Tensor4D; visible: (b: number, t: number, j: number) => boolean };

export class WindowStore {
  private sinkK: tf.Tensor4D | null = null;
  private sinkV: tf.Tensor4D | null = null;
  private frozenK: tf.Tensor4D | null = null;
  private frozenV: tf.Tensor4D | null = null;
  private frozenStart = 0;
  private curK: tf.Tensor4D | null = null;
  private curV: tf.Tensor4D | null = null;
  private curStart = 0;
  private readonly block: number;

  constructor(
    readonly layout: WindowLayout,
    /** leading padding positions of each row */
    readonly pads: readonly number[],
  ) {
    this.block = Math.min(WINDOW_BLOCK, layout.window);
  }

  /**
   * Softmax attention of a chunk's queries over the stored keys and the chunk's own, each query
   * seeing its sinks and its window (causal). Call before append().
   *
   * @param q [B, H, T, D] queries at stream positions offset .. offset + T - 1
   * @param k [B, Hkv, T, D] the chunk's keys (after RoPE)
   * @param v [B, Hkv, T, D]
   * @returns [B, H, T, D]
   */
  attend(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, offset: number): tf.Tensor4D {
    const { window: W, sinks: P } = this.layout;
    const [B, H, T, D] = q.shape;
    const Hkv = k.shape[1];
    const R = H / Hkv;
    const pad = this.pads;
    const inWindow = (b: number, t: number, s: number) => t - s < W && s - pad[b]! >= P; // a stored non-sink key
    const parts: Part[] = [];
    if (this.sinkK && this.sinkV) parts.push({ k: this.sinkK, v: this.sinkV, visible: (b, _t, j) => pad[b]! + j < offset });
    if (this.frozenK && this.frozenV) {
      const start = this.frozenStart;
      parts.push({ k: this.frozenK, v: this.frozenV, visible: (b, t, j) => inWindow(b, t, start + j) });
    }
    if (this.curK && this.curV) {
      const start = this.curStart;
      parts.push({ k: this.curK, v: this.curV, visible: (b, t, j) => inWindow(b, t, start + j) });
    }
    parts.push({
      k,
      v,
      visible: (b, t, j) => {
        const s = offset + j;
        return s >= pad[b]! && s <= t && (t - s < W || s - pad[b]! < P);
      },
    });
    const sizes = parts.map((p) => p.k.shape[2]);
    const Nk = sizes.reduce((a, b) => a + b, 0);
    const rowsDiffer = pad.some((p) => p !== pad[0]);
    const BB = rowsDiffer ? B : 1;
    const bias = new Float32Array(BB * T * Nk);
    for (let b = 0; b < BB; b++) {
      for (let i = 0; i < T; i++) {
        let col = 0;
        for (const [pi, p] of parts.entries()) {
          for (let j = 0; j < sizes[pi]!; j++, col++) if (!p.visible(b, offset + i, j)) bias[(b * T + i) * Nk + col] = MASKED;
        }
      }
    }
    return tf.tidy(() => {
      const qg = tf.mul(tf.reshape(q, [B, Hkv, R * T, D]), 1 / Math.sqrt(D)); // [B, Hkv, R*T, D] (R heads share a kv head)
      // scores side by side as [B*Hkv*R*T, n_part] rows: wasm concatenates and splits rank 2 fast, rank 4 slowly
      const rows = B * Hkv * R * T;
      const partScores = parts.map((p) => tf.reshape(tf.matMul(qg, p.k, false, true), [rows, p.k.shape[2]])); // [rows, n_part] each
      const scores = partScores.length === 1 ? partScores[0]! : tf.concat(partScores, 1); // [rows, Nk]
      const biased = tf.add(tf.reshape(scores, [B, Hkv, R, T, Nk]), tf.tensor(bias, [BB, 1, 1, T, Nk])); // [B, Hkv, R, T, Nk]
      const probs = tf.reshape(tf.softmax(biased, -1), [rows, Nk]); // [rows, Nk]
      const split = parts.length === 1 ? [probs] : tf.split(probs, sizes, 1); // [rows, n_part] each
      const y = tf.addN(parts.map((p, i) => tf.matMul(tf.reshape(split[i]!, [B, Hkv, R * T, sizes[i]!]), p.v))); // [B, Hkv, R*T, D]
      return tf.reshape(y, [B, H, T, D]) as tf.Tensor4D; // [B, H, T, D]
    });
  }

  /** Store a chunk's keys and values [B, Hkv, T, D] (stream positions offset ..): kept, old tensors freed. */
  append(k: tf.Tensor4D, v: tf.Tensor4D, offset: number): void {
    const { window: W, sinks: P } = this.layout;
    const [B, , T] = k.shape;
    const end = offset + T;
    // sinks: slot j of row b takes stream position pads[b] + j when the chunk holds it
    if (P > 0) {
      const take = new Float32Array(B * P);
      const select = new Float32Array(B * P * T);
      for (let b = 0; b < B; b++) {
        for (let j = 0; j < P; j++) {
          const s = this.pads[b]! + j;
          if (s < offset || s >= end) continue;
          take[b * P + j] = 1;
          select[(b * P + j) * T + (s - offset)] = 1;
        }
      }
      if (take.some((x) => x > 0)) {
        const write = (old: tf.Tensor4D | null, x: tf.Tensor4D) =>
          tf.tidy(() => {
            const picked = tf.matMul(tf.tensor4d(select, [B, 1, P, T]), x); // [B, Hkv, P, D] (one-hot rows)
            if (!old) return picked as tf.Tensor4D;
            return tf.add(
              tf.mul(
                old,
                tf.tensor4d(
                  take.map((x) => 1 - x),
                  [B, 1, P, 1],
                ),
              ),
              picked,
            ) as tf.Tensor4D; // [B, Hkv, P, D]
          });
        this.sinkK = replace(this.sinkK, write(this.sinkK, k));
        this.sinkV = replace(this.sinkV, write(this.sinkV, v));
      }
    }
    // window: positions from P on (a padded row's real sinks among them are masked in attend);
    // positions no later query can see (s <= end - 1 - W... i.e. s < end - W + 1) are never stored
    const from = Math.max(P, offset, end - W + 1);
    if (from >= end) return;
    const stored = this.curK ? this.curStart + this.curK.shape[2] : this.frozenK ? this.frozenStart + this.frozenK.shape[2] : from;
    if (stored < from) this.clearWindow(); // a long chunk: everything stored has left the window
    const slice = (x: tf.Tensor4D) => (from === offset ? x : sliceSeq(x, from - offset, end - from)); // [B, Hkv, n, D]
    const grow = (cur: tf.Tensor4D | null, x: tf.Tensor4D) => tf.tidy(() => (cur ? concatSeq([cur, slice(x)]) : tf.clone(slice(x)))); // [B, Hkv, Nc, D]
    if (!this.curK) this.curStart = from;
    this.curK = replace(this.curK, grow(this.curK, k));
    this.curV = replace(this.curV, grow(this.curV, v));
    if (this.curK.shape[2] < this.block) return;
    // the current block is full: fold it into frozen, dropping what has left the window
    const keepFrom = Math.max(this.frozenStart, end - W + 1);
    const fold = (frozen: tf.Tensor4D | null, cur: tf.Tensor4D) =>
      tf.tidy(() => {
        if (!frozen || this.frozenStart + frozen.shape[2] <= keepFrom) return tf.clone(cur);
        const kept = sliceSeq(frozen, keepFrom - this.frozenStart, this.frozenStart + frozen.shape[2] - keepFrom); // [B, Hkv, n, D]
        return concatSeq([kept, cur]); // [B, Hkv, <= W - 1 + block, D]
      });
    const frozenK = fold(this.frozenK, this.curK);
    const frozenV = fold(this.frozenV, this.curV!);
    this.frozenStart = this.frozenK && this.frozenStart + this.frozenK.shape[2] > keepFrom ? keepFrom : this.curStart;
    this.frozenK = replace(this.frozenK, frozenK);
    this.frozenV = replace(this.frozenV, frozenV);
    this.curK = replace(this.curK, null);
    this.curV = replace(this.curV, null);
  }

  /** Positions stored for the window (not counting sinks); at most window - 1 + block. */
  get windowPositions(): number {
    return (this.frozenK?.shape[2] ?? 0) + (this.curK?.shape[2] ?? 0);
  }

  /** Bytes held (float32). */
  get bytes(): number {
    return this.tensors().reduce((a, t) => a + 4 * t.size, 0);
  }

  dispose(): void {
    tf.dispose(this.tensors());
    this.sinkK = this.sinkV = null;
    this.clearWindow();
  }

  private clearWindow(): void {
    tf.dispose([this.frozenK, this.frozenV, this.curK, this.curV].filter((t): t is tf.Tensor4D => t !== null));
    this.frozenK = this.frozenV = this.curK = this.curV = null;
  }

  private tensors(): tf.Tensor[] {
    return [this.sinkK, this.sinkV, this.frozenK, this.frozenV, this.curK, this.curV].filter((t): t is tf.Tensor4D => t !== null);
  }
}

/** Keep `next` (it outlives the step's tidy) and free `old` unless it is the same tensor. */
function replace<T extends tf.Tensor | null>(old: tf.Tensor | null, next: T): T {
  if (old && old !== next) old.dispose();
  if (next) tf.keep(next);
  return next;
}
