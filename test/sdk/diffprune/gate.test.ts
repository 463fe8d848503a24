import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { useCpu } from "../models/helpers.js";
import { GAMMA, ZETA, U_EPS, expectedL0, gate, gateDeterministic, gateProbabilities, gateSample } from "../../../sdk/diffprune/gate.js";

before(useCpu);

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
/** The gate in float64, from its definition. */
const gate64 = (la: number, u: number) => {
  const uc = Math.min(Math.max(u, U_EPS), 1 - U_EPS);
  const s = sigmoid(Math.log(uc) - Math.log(1 - uc) + la);
  return Math.min(Math.max(s * (ZETA - GAMMA) + GAMMA, 0), 1);
};

test("the training gate's shares of exact zeros and ones match their closed form", () => {
  const n = 200_000;
  for (const la of [-2, 0, 1.5, 5]) {
    const z = tf.tidy(() => gate(tf.fill([n], la), true, 1234 + Math.round(la * 10)).dataSync() as Float32Array);
    let zeros = 0;
    let ones = 0;
    for (const v of z) {
      if (v === 0) zeros++;
      else if (v === 1) ones++;
      assert.ok(v >= 0 && v <= 1);
    }
    const p = gateProbabilities(la);
    // closed form: P(z = 0) = sigmoid(logit(1/2) - la) = sigmoid(-la) and P(z = 1) = 1 - sigmoid(log 5 - la) for (-1.5, 1.5)
    assert.ok(Math.abs(p.zero - sigmoid(-la)) < 1e-12);
    assert.ok(Math.abs(p.one - (1 - sigmoid(Math.log(5) - la))) < 1e-12);
    for (const [seen, q, what] of [
      [zeros / n, p.zero, "zeros"],
      [ones / n, p.one, "ones"],
    ] as const) {
      const se = Math.sqrt((q * (1 - q)) / n);
      assert.ok(Math.abs(seen - q) <= 5 * se + 1e-9, `log_alpha ${la}: share of ${what} ${seen} vs ${q} (5 se = ${5 * se})`);
    }
  }
});

test("gate values against a float64 implementation, and the evaluation gate is the noiseless one", () => {
  const la = [-3, -0.5, 0, 0.7, 2, 5, 9];
  const u = [0.5, 0.2, 0.9, 1e-6, 0.999999, 0.03, 0.5];
  const got = tf.tidy(() => gateSample(tf.tensor1d(la), tf.tensor1d(u)).dataSync());
  for (const [i, a] of la.entries())
    assert.ok(Math.abs(got[i] - gate64(a, u[i])) < 1e-6, `la ${a}, u ${u[i]}: ${got[i]} vs ${gate64(a, u[i])}`);
  const det = tf.tidy(() => gateDeterministic(tf.tensor1d(la)).dataSync());
  const evalGate = tf.tidy(() => gate(tf.tensor1d(la), false, 7).dataSync());
  la.forEach((a, i) => {
    const want = Math.min(Math.max(sigmoid(a) * 3 - 1.5, 0), 1);
    assert.ok(Math.abs(det[i] - want) < 1e-6);
    assert.equal(evalGate[i], det[i]);
  });
  assert.equal(det[la.indexOf(5)], 1, "log_alpha 5 (the init) opens the gate fully at evaluation");
});

test("the gate's gradient with respect to log_alpha matches finite differences where it is not clamped", () => {
  const la = tf.tensor1d([-0.3, 0.4, 1.1, 5]);
  const u = tf.tensor1d([0.5, 0.4, 0.2, 0.5]);
  const g = tf
    .grad((x: tf.Tensor) => tf.sum(gateSample(x, u)))(la)
    .dataSync();
  const h = 1e-5;
  [-0.3, 0.4, 1.1, 5].forEach((a, i) => {
    const fd = (gate64(a + h, u.dataSync()[i]) - gate64(a - h, u.dataSync()[i])) / (2 * h);
    assert.ok(Math.abs(g[i] - fd) < 1e-4, `la ${a}: ${g[i]} vs ${fd}`);
  });
  assert.equal(g[3], 0, "a gate clamped at 1 passes no gradient");
  tf.dispose([la, u]);
});

test("the expected-L0 penalty is sum sigmoid(log_alpha) and its gradient sigmoid'(log_alpha)", () => {
  const values = [-4, -1, 0, 0.5, 3, 5];
  const la = tf.tensor1d(values);
  const before = tf.memory().numTensors;
  const l0 = expectedL0(la);
  assert.ok(Math.abs(l0.dataSync()[0] - values.reduce((s, a) => s + sigmoid(a), 0)) < 1e-5);
  l0.dispose();
  assert.equal(tf.memory().numTensors, before, "no tensor left behind");
  const g = tf
    .grad((x: tf.Tensor) => expectedL0(x))(la)
    .dataSync();
  const h = 1e-4;
  values.forEach((a, i) => {
    const fd = (sigmoid(a + h) - sigmoid(a - h)) / (2 * h);
    assert.ok(Math.abs(g[i] - fd) < 1e-5, `la ${a}: ${g[i]} vs ${fd}`);
    assert.ok(Math.abs(g[i] - sigmoid(a) * (1 - sigmoid(a))) < 1e-6);
  });
  la.dispose();
});
