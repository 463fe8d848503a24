// tfjs-core's Node entry registers no gradients; sdk/nn/gradients.ts loads the official
// definitions. Checked against finite differences.

import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { registerGradients } from "../../../sdk/nn/gradients.js";
import { useCpu } from "./helpers.js";

before(useCpu);

test("the official gradients are registered (all but conv/pool backprops)", () => {
  const r = registerGradients();
  assert.ok(r.registered.length >= 90 || tf.getGradient("BatchMatMul"), `${r.registered.length} registered`);
  for (const k of [
    "Add",
    "Sub",
    "Multiply",
    "RealDiv",
    "BatchMatMul",
    "Softmax",
    "Transpose",
    "Reshape",
    "Sum",
    "Mean",
    "Rsqrt",
    "Sigmoid",
    "Slice",
    "Concat",
    "SplitV",
    "GatherV2",
    "Exp",
    "Log",
    "Max",
    "Pow",
  ]) {
    assert.ok(tf.getGradient(k), k);
  }
  assert.ok(
    r.skipped.every((s) => /Conv|Pool|LRN/.test(s)),
    r.skipped.join(),
  );
});

test("gradients agree with central finite differences", () => {
  const f = (x: tf.Tensor) =>
    tf.sum(tf.mul(tf.softmax(tf.matMul(x, x, false, true)), tf.sum(tf.sigmoid(tf.div(x, tf.add(tf.square(x), 1))), -1, true)));
  const x0 = tf.tensor2d([
    [0.3, -1.2, 0.5],
    [1.1, 0.2, -0.7],
  ]);
  const g = tf
    .grad((x: tf.Tensor) => f(x) as tf.Scalar)(x0)
    .dataSync();
  const xs = x0.dataSync();
  const h = 1e-2;
  for (let i = 0; i < xs.length; i++) {
    const p = Float32Array.from(xs);
    p[i] += h;
    const m = Float32Array.from(xs);
    m[i] -= h;
    const fd = (f(tf.tensor2d(p, [2, 3])).dataSync()[0] - f(tf.tensor2d(m, [2, 3])).dataSync()[0]) / (2 * h);
    assert.ok(Math.abs(fd - g[i]) < 2e-3, `d/dx[${i}]: autodiff ${g[i]} vs finite difference ${fd}`);
  }
});
