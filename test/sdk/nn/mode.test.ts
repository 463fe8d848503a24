import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { Dropout, dropout } from "../../../sdk/nn/dropout.js";
import { isTraining, withTraining } from "../../../sdk/nn/mode.js";
import { useCpu } from "../models/helpers.js";

before(useCpu);

test("withTraining scopes nest and restore, also when fn throws", () => {
  assert.equal(isTraining(), false, "evaluation outside every scope");
  withTraining(true, () => {
    assert.equal(isTraining(), true);
    withTraining(false, () => assert.equal(isTraining(), false));
    assert.equal(isTraining(), true);
    assert.throws(() =>
      withTraining(false, () => {
        throw new Error("boom");
      }),
    );
    assert.equal(isTraining(), true);
  });
  assert.equal(isTraining(), false);
});

test("Dropout: identity in evaluation mode; in training, zeros at rate p and scales the rest by 1/(1-p)", () => {
  const d = new Dropout(0.3, 7);
  const x = tf.ones([200, 50]);
  const before = tf.memory().numTensors;
  const evalOut = d.forward(x);
  assert.deepEqual(evalOut.dataSync(), x.dataSync());
  const a = withTraining(true, () => d.forward(x));
  const b = withTraining(true, () => d.forward(x));
  const va = a.dataSync();
  let zeros = 0;
  for (const v of va) {
    if (v === 0) zeros++;
    else assert.ok(Math.abs(v - 1 / 0.7) < 1e-6, `kept value ${v}`);
  }
  const rate = zeros / va.length;
  // 10,000 Bernoulli(0.3) draws: the rate is within 5 standard deviations (0.023) of 0.3
  assert.ok(Math.abs(rate - 0.3) < 0.023, `drop rate ${rate}`);
  assert.notDeepEqual(Array.from(va), Array.from(b.dataSync()), "a fresh mask on every call");
  tf.dispose([evalOut, a, b]);
  assert.equal(tf.memory().numTensors, before);
  const again = withTraining(true, () => new Dropout(0.3, 7).forward(x));
  assert.deepEqual(again.dataSync(), va, "the same seed gives the same masks");
  tf.dispose([again, x]);
});

test("dropout's gradient is the mask times 1/(1-p)", () => {
  const x = tf.randomNormal([30, 20], 0, 1, "float32", 1);
  const g = tf.grad((t: tf.Tensor) => tf.sum(dropout(t, 0.5, 11)))(x);
  const y = dropout(x, 0.5, 11);
  const gv = g.dataSync();
  const yv = y.dataSync();
  for (let i = 0; i < gv.length; i++) assert.equal(gv[i], yv[i] === 0 ? 0 : 2, `entry ${i}`);
  tf.dispose([x, g, y]);
});

test("Dropout rejects a rate outside [0, 1)", () => {
  assert.throws(() => new Dropout(1), /Dropout: p = 1: expected a number in \[0, 1\)/);
  assert.throws(() => new Dropout(-0.1), /p = -0\.1/);
});
