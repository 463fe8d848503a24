// What EVA keeps of a layer's input in one forward: the rows of real tokens (attention mask 1 and,
// with the label mask, a label other than the ignore index), read out of the forward's tensors through
// the model's hooks; and which layers read the same input.

import * as tf from "@tensorflow/tfjs-core";
import type { HookBatch } from "../nn/module.js";

export interface Rows {
  /** n rows of d features, row-major */
  data: Float32Array;
  n: number;
  d: number;
}

export interface MaskRule {
  useLabelMask: boolean;
  labelIgnoreIndex: number;
}

/** What masking left of a batch, for messages. */
export interface Kept {
  /** flat indices b * T + t of the rows kept */
  index: Int32Array;
  /** tokens with attention mask 1 */
  real: number;
  /** `index` as a tensor, made by the first keptRows of a forward and shared by the rest (the caller disposes it) */
  tensor?: tf.Tensor1D;
}

/** The flat token indices (b * T + t) a hook's batch keeps. */
export function keptTokens(batch: HookBatch, rule: MaskRule): Kept {
  const mask = batch.attentionMask.dataSync();
  const labels = rule.useLabelMask && batch.labels ? batch.labels.dataSync() : null;
  const index: number[] = [];
  let real = 0;
  for (let i = 0; i < mask.length; i++) {
    if (mask[i] === 0) continue;
    real++;
    if (labels && labels[i] === rule.labelIgnoreIndex) continue;
    index.push(i);
  }
  return { index: Int32Array.from(index), real };
}

/** The kept rows of a layer input x [..., d] (leading axes flattened as the batch's B * T). */
export function keptRows(x: tf.Tensor, kept: Kept): Rows {
  const d = x.shape[x.rank - 1];
  const data = tf.tidy(() => {
    const flat = tf.reshape(x, [-1, d]); // [B*T, d]
    kept.tensor ??= tf.keep(tf.tensor1d(kept.index, "int32"));
    return tf.gather(flat, kept.tensor); // [n, d]
  });
  const out = data.dataSync() as Float32Array;
  data.dispose();
  return { data: out, n: kept.index.length, d };
}

/** FNV-1a over the bits of the rows: equal inputs hash equal; a match is then confirmed value by value. */
function hashRows(r: Rows): number {
  const bits = new Uint32Array(r.data.buffer, r.data.byteOffset, r.data.length);
  let h = 0x811c9dc5;
  for (let i = 0; i < bits.length; i++) h = Math.imul(h ^ bits[i], 0x01000193) >>> 0;
  return h;
}

function sameRows(a: Rows, b: Rows): boolean {
  if (a.n !== b.n || a.d !== b.d) return false;
  for (let i = 0; i < a.data.length; i++) if (!Object.is(a.data[i], b.data[i])) return false;
  return true;
}

/**
 * Layers whose first-batch inputs are identical: one tensor object (q_proj, k_proj and v_proj read one
 * x: equal tensor ids) or equal values. Returns member -> the first layer of its group (in the given
 * order), for members only.
 */
export function identicalInputs(first: Map<string, { tensorId: number; rows: Rows }>): Map<string, string> {
  const out = new Map<string, string>();
  const heads: { path: string; tensorId: number; hash: number; rows: Rows }[] = [];
  for (const [path, { tensorId, rows }] of first) {
    const hash = hashRows(rows);
    const head = heads.find((h) => h.tensorId === tensorId || (h.hash === hash && sameRows(h.rows, rows)));
    if (head) out.set(path, head.path);
    else heads.push({ path, tensorId, hash, rows });
  }
  return out;
}
