// The teacher's targets for stage II: at every position a loss counts (the next label is not
// -100), the teacher's k most likely next tokens with their log-probabilities, and the log of the
// probability mass left outside them. Computed once per (teacher weights, batches, k) and cached
// on disk as safetensors (written atomically), so experts and reruns on the same data reuse them.

import * as tf from "@tensorflow/tfjs-core";
import { createHash } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { readSafetensors, writeSafetensors, type TensorInput } from "../io/safetensors.js";
import { exists } from "../io/paths.js";
import type { Model } from "../models/model.js";
import { shiftLabels } from "../train/loss.js";
import type { Batch } from "../train/data.js";

/** Bump when what is stored, or how it is computed, changes. */
const FORMAT = 1;

/** The log of the tail mass is stored no lower than this (e^-80 ~ 2e-35: nothing left). */
export const MIN_LOG_REST = -80;

export interface BatchTargets {
  /** counted positions, as b * T + t (the logits at t predict labels[b][t + 1]) */
  positions: Int32Array;
  /** the next token at each counted position: [n] */
  next: Int32Array;
  /** the teacher's top-k tokens, most likely first: [n, k] */
  ids: Int32Array;
  /** their log-probabilities under the teacher's full softmax: [n, k] */
  logp: Float32Array;
  /** log(1 - sum of their probabilities), at least MIN_LOG_REST: [n] */
  logRest: Float32Array;
  k: number;
}

/** Positions with a target, and the targets, of a batch with labels. */
export function countedPositions(labels: number[][]): { positions: Int32Array; next: Int32Array } {
  const { targets, weights } = shiftLabels(labels);
  const T = labels[0]!.length;
  const pos: number[] = [];
  const next: number[] = [];
  weights.forEach((row, b) => {
    row.forEach((w, t) => {
      if (w) {
        pos.push(b * T + t);
        next.push(targets[b]![t]!);
      }
    });
  });
  return { positions: Int32Array.from(pos), next: Int32Array.from(next) };
}

/** The teacher's top-k at the counted positions of one batch (labels filled). */
export async function batchTargets(teacher: Model, batch: Batch & { labels: number[][] }, k: number): Promise<BatchTargets> {
  const { positions, next } = countedPositions(batch.labels);
  const n = positions.length;
  const V = teacher.config.vocabSize;
  const [values, indices] = tf.tidy(() => {
    const logits = teacher.logits(batch.ids, { ...(batch.mask ? { attentionMask: batch.mask } : {}), training: false }); // [B, T, V]
    const [B, T] = logits.shape;
    const rows = tf.gather(tf.reshape(logits, [B * T, V]), tf.tensor1d(positions, "int32")); // [n, V]
    const top = tf.topk(tf.logSoftmax(rows), k); // values, indices [n, k]
    return [top.values, top.indices];
  });
  const logp = Float32Array.from(await values.data());
  const ids = Int32Array.from(await indices.data());
  tf.dispose([values, indices]);
  const logRest = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let mass = 0;
    for (let j = 0; j < k; j++) mass += Math.exp(logp[i * k + j]!);
    logRest[i] = Math.max(MIN_LOG_REST, Math.log1p(-Math.min(mass, 1)));
  }
  return { positions, next, ids, logp, logRest, k };
}

export function cacheRoot(): string {
  return process.env.STILLROOM_CACHE || join(homedir(), ".cache", "stillroom");
}

/** Hash of the teacher's weights (names, shapes, bytes), the batches and k: the cache key. */
export async function targetsKey(teacher: Model, batches: Batch[], k: number): Promise<string> {
  const h = createHash("sha256");
  h.update(JSON.stringify({ format: FORMAT, k }));
  const params = [...teacher.parameters()].sort(([a], [b]) => (a < b ? -1 : 1));
  for (const [name, v] of params) {
    h.update(`${name}[${v.shape}]`);
    const data = (await v.data()) as Float32Array;
    h.update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }
  for (const b of batches) h.update(JSON.stringify([b.ids, b.labels ?? null, b.mask ?? null]));
  return h.digest("hex").slice(0, 24);
}

/**
 * The targets of every batch: read from `dir` when cached, else computed (calling `tick` after each
 * batch) and written there. `dir` default: cacheRoot()/distill-targets.
 */
export async function teacherTargets(
  teacher: Model,
  batches: (Batch & { labels: number[][] })[],
  k: number,
  opts: { dir?: string; tick?: () => void } = {},
): Promise<{ targets: BatchTargets[]; path: string; cached: boolean }> {
  const dir = opts.dir ?? join(cacheRoot(), "distill-targets");
  const path = join(dir, `topk-${await targetsKey(teacher, batches, k)}.safetensors`);
  if (await exists(path)) return { targets: await readTargets(path, batches.length, k), path, cached: true };
  const targets: BatchTargets[] = [];
  for (const b of batches) {
    targets.push(await batchTargets(teacher, b, k));
    opts.tick?.();
  }
  await mkdir(dir, { recursive: true });
  const tensors: Record<string, TensorInput> = {};
  targets.forEach((t, i) => {
    const n = t.positions.length;
    tensors[`${i}.positions`] = { dtype: "I32", shape: [n], data: t.positions };
    tensors[`${i}.next`] = { dtype: "I32", shape: [n], data: t.next };
    tensors[`${i}.ids`] = { dtype: "I32", shape: [n, k], data: t.ids };
    tensors[`${i}.logp`] = { dtype: "F32", shape: [n, k], data: t.logp };
    tensors[`${i}.log_rest`] = { dtype: "F32", shape: [n], data: t.logRest };
  });
  await writeSafetensors(path, tensors, { format: String(FORMAT), k: String(k), batches: String(batches.length) });
  return { targets, path, cached: false };
}

async function readTargets(path: string, n: number, k: number): Promise<BatchTargets[]> {
  const { tensors, metadata } = await readSafetensors(path);
  if (metadata.format !== String(FORMAT) || metadata.k !== String(k) || metadata.batches !== String(n)) {
    throw new Error(`${path}: cached teacher targets of another format (${JSON.stringify(metadata)}); delete the file to recompute`);
  }
  return Array.from({ length: n }, (_, i) => {
    const get = (name: string) => {
      const t = tensors[`${i}.${name}`];
      if (!t) throw new Error(`${path}: no tensor "${i}.${name}"; delete the file to recompute`);
      return t.data;
    };
    return {
      positions: Int32Array.from(get("positions") as ArrayLike<number>),
      next: Int32Array.from(get("next") as ArrayLike<number>),
      ids: Int32Array.from(get("ids") as ArrayLike<number>),
      logp: Float32Array.from(get("logp") as ArrayLike<number>),
      logRest: Float32Array.from(get("log_rest") as ArrayLike<number>),
      k,
    };
  });
}
