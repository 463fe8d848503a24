import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { useCpu } from "../models/helpers.js";
import { Adversary, TaskHead } from "../../../sdk/diffprune/heads.js";
import { binaryCrossEntropy, crossEntropy, headLoss, majorityVote, outputsFor, predictions } from "../../../sdk/diffprune/losses.js";
import { namedParameters, walkModules } from "../../../sdk/nn/module.js";
import { withTraining } from "../../../sdk/nn/mode.js";

before(useCpu);

const logSumExp = (xs: number[]) => {
  const m = Math.max(...xs);
  return m + Math.log(xs.reduce((s, x) => s + Math.exp(x - m), 0));
};

test("cross-entropy and binary cross-entropy against float64 formulas, including large logits", () => {
  const logits = [
    [2, -1, 0.5],
    [-30, 40, 0],
    [0.1, 0.2, 0.3],
  ];
  const labels = [0, 1, 2];
  const want = logits.reduce((s, r, i) => s + logSumExp(r) - r[labels[i]], 0) / 3;
  const got = tf.tidy(() => crossEntropy(tf.tensor2d(logits), tf.tensor1d(labels, "int32")).dataSync()[0]);
  assert.ok(Math.abs(got - want) < 1e-5, `${got} vs ${want}`);
  const x = [3, -2, 0, 60, -60];
  const y = [1, 0, 1, 0, 1];
  const bce = x.reduce((s, xi, i) => s + (y[i] ? Math.log1p(Math.exp(-xi)) : Math.log1p(Math.exp(xi))), 0) / x.length;
  const gotB = tf.tidy(() => binaryCrossEntropy(tf.tensor1d(x), tf.tensor1d(y, "int32")).dataSync()[0]);
  assert.ok(Math.abs(gotB - bce) < 1e-4 * bce, `${gotB} vs ${bce}`);
  assert.ok(Number.isFinite(gotB));
  const viaHead = tf.tidy(() => headLoss(tf.tensor2d(x, [5, 1]), tf.tensor1d(y, "int32")).dataSync()[0]);
  assert.equal(viaHead, gotB, "one logit: the binary loss");
  assert.equal(outputsFor(2), 1);
  assert.equal(outputsFor(5), 5);
  assert.deepEqual([...tf.tidy(() => predictions(tf.tensor2d(x, [5, 1])))], [1, 0, 0, 1, 0]);
});

test("majority vote: the most frequent class per example, ties to the smallest class", () => {
  const votes = [
    Int32Array.from([0, 1, 2, 1]),
    Int32Array.from([0, 1, 0, 2]),
    Int32Array.from([1, 0, 2, 0]),
    Int32Array.from([1, 1, 1, 2]),
  ];
  assert.deepEqual([...majorityVote(votes)], [0, 1, 2, 2]);
});

test("the adversary: five Dropout-Linear-tanh-Dropout-Linear heads, loss the mean of the heads' losses, one logit for two groups", () => {
  const adv = new Adversary(6, 2, { seed: 1 });
  assert.equal(adv.heads.length, 5);
  const names = [...namedParameters(adv).keys()];
  assert.deepEqual(names.slice(0, 4), ["0.fc1.weight", "0.fc1.bias", "0.fc2.weight", "0.fc2.bias"]);
  assert.equal(names.length, 20);
  assert.deepEqual(namedParameters(adv).get("0.fc2.weight")!.shape, [1, 6]);
  const h = tf.randomNormal([7, 6], 0, 1, "float32", 2) as tf.Tensor2D;
  const y = tf.tensor1d([0, 1, 1, 0, 1, 0, 0], "int32");
  const each = adv.heads.map((m) => tf.tidy(() => headLoss(m.forward(h), y).dataSync()[0]));
  const mean = each.reduce((a, b) => a + b, 0) / 5;
  assert.ok(Math.abs(tf.tidy(() => adv.loss(h, y).dataSync()[0]) - mean) < 1e-6);
  assert.deepEqual(
    tf.tidy(() => adv.forward(h).shape),
    [5, 7, 1],
  );
  assert.equal(new Set(each).size, 5, "the heads start differently");
  // the heads' weights start as torch.nn.Linear does: U(-1/sqrt(in), 1/sqrt(in))
  const w = namedParameters(adv).get("2.fc1.weight")!.dataSync();
  assert.ok(Math.max(...w.map(Math.abs)) <= 1 / Math.sqrt(6));
  // dropout is on in training mode only
  const evalOut = tf.tidy(() => adv.forward(h).dataSync());
  assert.deepEqual(
    tf.tidy(() => adv.forward(h).dataSync()),
    evalOut,
  );
  const trainOut = tf.tidy(() => withTraining(true, () => adv.forward(h).dataSync()));
  assert.notDeepEqual(trainOut, evalOut);
  const multi = new Adversary(6, 3, { heads: 2, seed: 0 });
  assert.deepEqual(
    tf.tidy(() => multi.forward(h).shape),
    [2, 7, 3],
  );
  assert.equal(multi.predict(h).length, 7);
  for (const a of [adv, multi]) for (const v of namedParameters(a).values()) v.dispose();
  tf.dispose([h, y]);
});

test("the task head is Dropout -> Linear", () => {
  const head = TaskHead.create(4, 3, { dropout: 0.3, seed: 0 });
  assert.deepEqual(
    [...walkModules(head)].map(([p]) => p),
    ["", "proj"],
  );
  const h = tf.ones([2, 4]) as tf.Tensor2D;
  const W = head.proj.weight.dataSync();
  const b = head.proj.bias!.dataSync();
  const out = tf.tidy(() => head.forward(h).dataSync());
  for (let j = 0; j < 3; j++) assert.ok(Math.abs(out[j] - (W[4 * j] + W[4 * j + 1] + W[4 * j + 2] + W[4 * j + 3] + b[j])) < 1e-6);
  h.dispose();
  for (const v of namedParameters(head).values()) v.dispose();
});
