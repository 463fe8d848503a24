import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { useCpu } from "../models/helpers.js";
import { leakage } from "../../../sdk/eval/leakage.js";
import { mulberry32 } from "../../../sdk/nn/random.js";

before(useCpu);

function split(n: number, seed: number, label: (row: number[], rng: () => number) => number) {
  const rng = mulberry32(seed);
  const rows = Array.from({ length: n }, () => Array.from({ length: 8 }, () => 2 * rng() - 1));
  return { h: tf.tensor2d(rows), y: rows.map((r) => label(r, rng)) };
}

test("the attacker finds an attribute the representation holds, and stays at chance on one it does not", async () => {
  const separable = (r: number[]) => (r[0] + 0.5 * r[3] > 0 ? 1 : 0);
  const [train, val, testSplit] = [split(400, 1, separable), split(150, 2, separable), split(150, 3, separable)];
  const opts = { epochs: 12, lr: 1e-2, quiet: true };
  const found = await leakage(train, val, testSplit, 2, opts);
  assert.ok(found.accuracy > 0.9, `accuracy ${found.accuracy}`);
  assert.ok(found.balancedAccuracy > 0.9);
  assert.equal(found.valHistory.length, 12);
  assert.equal(
    found.bestEpoch,
    found.valHistory.indexOf(Math.max(...found.valHistory)) + 1,
    "the epoch with the best validation balanced accuracy (the first of equals)",
  );
  assert.equal(found.valBalancedAccuracy, Math.max(...found.valHistory));
  const noise = (_: number[], rng: () => number) => (rng() < 0.5 ? 1 : 0);
  const [a, b, c] = [split(400, 4, noise), split(150, 5, noise), split(150, 6, noise)];
  const tensors = tf.memory().numTensors;
  const none = await leakage(a, b, c, 2, opts);
  assert.equal(tf.memory().numTensors, tensors, "the attacker leaves no tensor behind");
  assert.ok(Math.abs(none.balancedAccuracy - 0.5) < 0.15, `balanced accuracy ${none.balancedAccuracy} on an independent attribute`);
  assert.ok(none.majority >= 0.5 && none.majority < 0.6);
  tf.dispose([train.h, val.h, testSplit.h, a.h, b.h, c.h]);
});

test("bad attacker options are refused by name", async () => {
  const t = { h: tf.zeros([4, 2]) as tf.Tensor2D, y: [0, 1, 0, 1] };
  await assert.rejects(leakage(t, t, t, 2, { epochs: 0 }), /attacker.epochs = 0: expected an integer >= 1/);
  await assert.rejects(leakage(t, t, t, 2, { lr: -1 }), /attacker.lr = -1/);
  t.h.dispose();
});
