import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { pool } from "../../../sdk/nn/pool.js";
import { useCpu } from "../models/helpers.js";

before(useCpu);

test("pool: the last real token and the mean over real tokens, with left and right padding", () => {
  const [B, T, C] = [3, 4, 2];
  const data = Array.from({ length: B * T * C }, (_, i) => i * 0.5 - 3);
  const h = tf.tensor3d(data, [B, T, C]);
  const mask = [
    [1, 1, 1, 1],
    [0, 0, 1, 1], // left padding
    [1, 1, 0, 0], // right padding
  ];
  const at = (b: number, t: number) => data.slice((b * T + t) * C, (b * T + t + 1) * C);
  const before = tf.memory().numTensors;
  const m = tf.tensor2d(mask);
  const last = pool(h, m, "last");
  const mean = pool(h, m, "mean");
  assert.deepEqual(Array.from(last.dataSync()), [...at(0, 3), ...at(1, 3), ...at(2, 1)]);
  const avg = (b: number, ts: number[]) => [0, 1].map((c) => ts.reduce((s, t) => s + at(b, t)[c], 0) / ts.length);
  const want = [...avg(0, [0, 1, 2, 3]), ...avg(1, [2, 3]), ...avg(2, [0, 1])];
  mean.dataSync().forEach((v, i) => {
    assert.ok(Math.abs(v - want[i]) < 1e-6, `mean[${i}] ${v} vs ${want[i]}`);
  });
  tf.dispose([last, mean, m]);
  assert.equal(tf.memory().numTensors, before);
  const noMask = pool(h, null);
  assert.deepEqual(Array.from(noMask.dataSync()), [...at(0, 3), ...at(1, 3), ...at(2, 3)]);
  assert.throws(() => pool(h, null, "max" as never), /pool: how = "max": expected one of last, mean/);
  assert.throws(() => pool(h, tf.ones([3, 5]) as tf.Tensor2D), /pool: mask\.shape = \[3,5\]: expected \[3, 4\]/);
  tf.dispose([noMask, h]);
});
