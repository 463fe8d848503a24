// Shared test helpers: fixture paths, the cpu backend, temp dirs, array comparisons.

import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { readSafetensors } from "../../../sdk/io/safetensors.js";
import { load, type Model } from "../../../sdk/models/index.js";

export const FAMILIES = ["llama", "qwen2", "olmo2"] as const;

/** test/fixtures/models/<name> in the source tree (tests run from dist/test/...). */
export function fixtureDir(name: string): string {
  return fileURLToPath(new URL(`../../../../test/fixtures/models/${name}`, import.meta.url));
}

export async function useCpu(): Promise<void> {
  await tf.setBackend("cpu");
  await tf.ready();
}

export async function tempDir(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "stillroom-test-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

export interface Reference {
  ids: number[][];
  targets: number[][];
  attentionMask: number[][];
  positionIds: number[][];
  logits: Float32Array;
  logitsMasked: Float32Array;
  logitsPos: Float32Array;
  loss: number;
  grads: Map<string, Float32Array>;
  shape: number[];
}

function rows(data: ArrayLike<bigint | number>, shape: number[]): number[][] {
  const [B, T] = shape;
  return Array.from({ length: B }, (_, b) => Array.from({ length: T }, (_, t) => Number(data[b * T + t])));
}

export async function readReference(family: string): Promise<Reference> {
  const { tensors, metadata } = await readSafetensors(join(fixtureDir(family), "reference.safetensors"));
  const f32 = (n: string) => tensors[n].data as Float32Array;
  const grads = new Map<string, Float32Array>();
  for (const n of JSON.parse(metadata.grad_names) as string[]) grads.set(n, f32(`grad.${n}`));
  return {
    ids: rows(tensors.input_ids.data as BigInt64Array, tensors.input_ids.shape),
    targets: rows(tensors.targets.data as BigInt64Array, tensors.targets.shape),
    attentionMask: rows(tensors.attention_mask.data as BigInt64Array, tensors.attention_mask.shape),
    positionIds: rows(tensors.position_ids.data as BigInt64Array, tensors.position_ids.shape),
    logits: f32("logits"),
    logitsMasked: f32("logits_masked"),
    logitsPos: f32("logits_pos"),
    loss: f32("loss")[0],
    grads,
    shape: tensors.logits.shape,
  };
}

/** Mean cross-entropy of logits [B, T, V] against integer targets [B, T]. */
export function crossEntropy(logits: tf.Tensor3D, targets: number[][]): tf.Scalar {
  return tf.tidy(() => {
    const [B, T, V] = logits.shape;
    const flat = tf.reshape(logits, [B * T, V]); // [B*T, V]
    const logp = tf.logSoftmax(flat); // [B*T, V]
    const onehot = tf.oneHot(tf.tensor1d(targets.flat(), "int32"), V); // [B*T, V]
    return tf.neg(tf.mean(tf.sum(tf.mul(logp, onehot), -1))) as tf.Scalar; // []
  });
}

/**
 * Loads a family's fixture and checks its logits (1e-4 absolute) and reference gradients (1e-4
 * relative) on the current backend; returns the model for further checks.
 */
export async function expectReferenceNumbers(family: string): Promise<Model> {
  const model = await load(fixtureDir(family));
  const ref = await readReference(family);
  const logits = model.logits(ref.ids);
  assert.ok(maxAbsDiff(logits.dataSync(), ref.logits) <= 1e-4, `${family} logits`);
  logits.dispose();
  const names = [...ref.grads.keys()];
  const vars = names.map((n) => model.parameters().get(n)!);
  const { value, grads } = tf.variableGrads(() => crossEntropy(model.logits(ref.ids), ref.targets), vars);
  names.forEach((n, i) => {
    const want = ref.grads.get(n)!;
    assert.ok(maxAbsDiff(grads[vars[i]!.name]!.dataSync(), want) / maxAbs(want) <= 1e-4, `${family} gradient of ${n}`);
  });
  tf.dispose([value, grads]);
  return model;
}
