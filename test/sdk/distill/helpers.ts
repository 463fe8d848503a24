// Helpers for the distillation tests: the wasm backend, a tiny teacher, token batches, temp folders.

import * as tf from "@tensorflow/tfjs-core";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create, type Model, type ModelConfigInput } from "../../../sdk/models/index.js";
import type { Batch } from "../../../sdk/train/data.js";

export { useWasm } from "../xlstm/helpers.js";

export const TINY: ModelConfigInput = {
  family: "llama",
  vocabSize: 24,
  dModel: 16,
  nLayers: 2,
  nHeads: 4,
  nKvHeads: 2,
  dFf: 32,
  maxSeq: 48,
};

export function tinyTeacher(seed = 1, over: Partial<ModelConfigInput> = {}): Model {
  return create({ ...TINY, ...over }, { seed });
}

/** Seeded batches of B rows of T ids in [0, V), labels on the second half of each row (like task answers). */
export function batches(n: number, B = 4, T = 20, V = 24, seed = 0): Batch[] {
  let a = seed + 1;
  const next = () => {
    a = (a * 1103515245 + 12345) % 2147483648;
    return a % V;
  };
  return Array.from({ length: n }, () => {
    const ids = Array.from({ length: B }, () => Array.from({ length: T }, next));
    const labels = ids.map((r) => r.map((id, t) => (t >= T / 2 ? id : -100)));
    return { ids, labels };
  });
}

export async function tempDir(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "stillroom-distill-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** name -> values of every parameter (a snapshot to compare against). */
export function snapshot(m: Model): Map<string, Float32Array> {
  return new Map([...m.parameters()].map(([n, v]) => [n, Float32Array.from(v.dataSync())]));
}

export function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

export function relError(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => Math.sqrt(tf.sum(tf.square(tf.sub(a, b))).dataSync()[0]! / tf.sum(tf.square(b)).dataSync()[0]!));
}
