// Shared by the LoRA and EVA tests: a tiny model, float64 reference math, the Python adapter check.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import * as tf from "@tensorflow/tfjs-core";
import { create, type Model } from "../../../sdk/models/index.js";
import { mulberry32, normalArray } from "../../../sdk/nn/random.js";

/** A 2-layer Llama, d = 16, MLP 24, 4 query and 2 key/value heads: every projection type, small. */
export const tiny = (seed = 3): Model =>
  create({ family: "llama", vocabSize: 40, dModel: 16, nLayers: 2, nHeads: 4, nKvHeads: 2, dFf: 24, maxSeq: 32 }, { seed });

export const IDS = [
  [1, 5, 9, 12, 3, 7, 22, 31],
  [2, 8, 8, 17, 30, 4, 11, 6],
];

export function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

export function logitsOf(m: Model, ids = IDS): Float32Array {
  const t = m.logits(ids);
  const out = t.dataSync() as Float32Array;
  t.dispose();
  return out;
}

/** W + s B A in float64 (W [out, in], B [out, r], A [r, in], all row-major). */
export function mergedRef(
  W: ArrayLike<number>,
  B: ArrayLike<number>,
  A: ArrayLike<number>,
  out: number,
  inF: number,
  r: number,
  s: number,
): Float64Array {
  const res = new Float64Array(out * inF);
  for (let i = 0; i < out; i++) {
    for (let j = 0; j < inF; j++) {
      let acc = 0;
      for (let k = 0; k < r; k++) acc += B[i * r + k] * A[k * inF + j];
      res[i * inF + j] = W[i * inF + j] + s * acc;
    }
  }
  return res;
}

/** Fill a variable with seeded noise of the given std (a stand-in for training). */
export function perturb(v: tf.Variable, seed: number, std = 0.05): void {
  v.assign(tf.tidy(() => tf.tensor(normalArray(mulberry32(seed), v.size, std), v.shape)));
}

const CHECK = fileURLToPath(new URL("../../../../tools/lora/check_adapter.py", import.meta.url));

/** Run tools/lora/check_adapter.py (Debian's python3 with numpy); returns its JSON summary. */
export function pythonCheck(
  adapterDir: string,
  base: string,
  merged: string,
): { modules: number; max_abs_diff: number; init_lora_weights: unknown } {
  const run = spawnSync("/usr/bin/python3", [CHECK, adapterDir, base, merged], { encoding: "utf8" });
  assert.equal(run.status, 0, `check_adapter.py failed:\n${run.stdout}\n${run.stderr}`);
  return JSON.parse(run.stdout.trim().split("\n").at(-1)!);
}

/** Run the check expecting it to fail; returns what it printed. */
export function pythonCheckFails(adapterDir: string, base: string, merged: string): string {
  const run = spawnSync("/usr/bin/python3", [CHECK, adapterDir, base, merged], { encoding: "utf8" });
  assert.equal(run.status, 1, `check_adapter.py should have failed:\n${run.stdout}\n${run.stderr}`);
  return run.stdout;
}
