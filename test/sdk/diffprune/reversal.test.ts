import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { useCpu } from "../models/helpers.js";
import { reverseGradient } from "../../../sdk/diffprune/reversal.js";

before(useCpu);

test("gradient reversal: the identity forward, -lambda times the gradient backward", () => {
  const x = tf.tensor2d([
    [0.5, -1, 2],
    [3, 0.25, -0.75],
  ]);
  const w = tf.tensor2d([
    [1, -2, 0.5],
    [0.3, 4, -1],
  ]);
  const f = (t: tf.Tensor) => tf.sum(tf.mul(tf.square(t), w)); // d/dt = 2 t w
  const plain = tf.grad(f)(x).dataSync();
  for (const lambda of [1, 0.5, 3, 0]) {
    const y = reverseGradient(x, lambda);
    assert.deepEqual(y.dataSync(), x.dataSync(), "forward is the identity");
    y.dispose();
    const rev = tf
      .grad((t: tf.Tensor) => f(reverseGradient(t, lambda)))(x)
      .dataSync();
    const xs = x.dataSync();
    const ws = w.dataSync();
    rev.forEach((g, i) => {
      assert.ok(Math.abs(g + lambda * plain[i]) < 1e-5, `lambda ${lambda}: ${g} vs ${-lambda * plain[i]}`);
      assert.ok(Math.abs(plain[i] - 2 * xs[i] * ws[i]) < 1e-5);
    });
  }
  tf.dispose([x, w]);
});

test("gradient reversal only flips the path through it", () => {
  const x = tf.scalar(1.5);
  // y = x^2 (direct) + 3 x (through the reversal): dy/dx = 2x - 3
  const g = tf
    .grad((t: tf.Tensor) => tf.add(tf.square(t), tf.mul(reverseGradient(t), 3)))(x)
    .dataSync()[0];
  assert.ok(Math.abs(g - (2 * 1.5 - 3)) < 1e-6);
  x.dispose();
});

test("a bad lambda is refused by name", () => {
  const x = tf.scalar(1);
  assert.throws(() => reverseGradient(x, -1), /lambda = -1: expected a finite number >= 0/);
  assert.throws(() => reverseGradient(x, Number.NaN), /lambda = NaN/);
  x.dispose();
});
