import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { useCpu } from "../models/helpers.js";
import { create } from "../../../sdk/models/index.js";
import { withTraining } from "../../../sdk/nn/mode.js";
import { parametrize } from "../../../sdk/nn/parametrize.js";
import { GatedDiff, MaskedDiff } from "../../../sdk/diffprune/diff.js";
import { SubnetworkSwitch } from "../../../sdk/diffprune/switch.js";
import { withSubnetworks } from "../../../sdk/diffprune/active.js";
import { group, Stepper } from "../../../sdk/diffprune/loop.js";

before(useCpu);

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const zEval = (la: number) => Math.min(Math.max(sigmoid(la) * 3 - 1.5, 0), 1);

test("the diff's gradient is the plain one: dL/dw = z * dL/dW' and dL/dlog_alpha = w * dL/dW' * dz/dlog_alpha (finite differences, float64)", () => {
  const W = [0.3, -0.7, 1.1, 0.05, -0.4, 0.9];
  const K = [1.5, -0.5, 2, 0.7, -1.2, 0.4];
  const w0 = [0.2, -0.1, 0.35, -0.6, 0.15, 0.5];
  const la0 = [0.2, -0.3, 0.8, 1.2, 0.1, 5]; // the last gate is clamped at 1
  const piece = new GatedDiff([6], { alphaInit: 0, seed: 1 });
  piece.w.assign(tf.tensor1d(w0));
  piece.logAlpha.assign(tf.tensor1d(la0));
  const Wt = tf.tensor1d(W);
  const Kt = tf.tensor1d(K);
  // L = sum K * (W + z w)^2, evaluated in evaluation mode (z deterministic)
  const lossOf = (w: number[], la: number[]) => W.reduce((s, x, i) => s + K[i] * (x + zEval(la[i]) * w[i]) ** 2, 0);
  const { value, grads } = tf.variableGrads(
    () => withTraining(false, () => tf.sum(tf.mul(Kt, tf.square(tf.add(Wt, piece.forward()))))) as tf.Scalar,
  );
  assert.ok(Math.abs(value.dataSync()[0] - lossOf(w0, la0)) < 1e-5);
  const gw = grads[piece.w.name].dataSync();
  const gla = grads[piece.logAlpha.name].dataSync();
  const h = 1e-6;
  for (let i = 0; i < 6; i++) {
    const bump = (xs: number[], d: number) => xs.map((x, j) => (j === i ? x + d : x));
    const fdW = (lossOf(bump(w0, h), la0) - lossOf(bump(w0, -h), la0)) / (2 * h);
    const fdLa = (lossOf(w0, bump(la0, h)) - lossOf(w0, bump(la0, -h))) / (2 * h);
    assert.ok(Math.abs(gw[i] - fdW) < 1e-4 * Math.max(1, Math.abs(fdW)), `dL/dw[${i}] ${gw[i]} vs ${fdW}`);
    assert.ok(Math.abs(gla[i] - fdLa) < 1e-4 * Math.max(1, Math.abs(fdLa)), `dL/dla[${i}] ${gla[i]} vs ${fdLa}`);
    const dTheta = 2 * K[i] * (W[i] + zEval(la0[i]) * w0[i]);
    assert.ok(Math.abs(gw[i] - zEval(la0[i]) * dTheta) < 1e-4, "z * dL/dW', not the straight-through (1 + z) dL/dW'");
  }
  assert.equal(gla[5], 0, "a gate clamped at 1 gives log_alpha no gradient from the loss");
  tf.dispose([value, Wt, Kt, ...Object.values(grads)]);
  piece.dispose();
});

test("through a model: a gated diff on a weight gets z times the gradient an unparametrised copy gets for W'", () => {
  const cfg = { family: "llama" as const, vocabSize: 20, dModel: 8, nLayers: 1, nHeads: 2, dFf: 16 };
  const ids = [
    [1, 5, 7, 3],
    [2, 9, 4, 4],
  ];
  const m = create(cfg, { seed: 3 });
  const name = "model.layers.0.mlp.down_proj.weight";
  const W = m.parameters().get(name)!;
  const owner = {};
  const sw = new SubnetworkSwitch(owner);
  const piece = new GatedDiff(W.shape, { alphaInit: 0.4, seed: 2 });
  piece.w.assign(tf.randomNormal(W.shape, 0, 0.1, "float32", 9));
  sw.pieces.set("s", piece);
  parametrize(m, name, sw);
  const loss = () => tf.mean(tf.square(m.logits(ids))) as tf.Scalar;
  const g = withSubnetworks(owner, ["s"], "sum", () => {
    const { value, grads } = tf.variableGrads(loss, [piece.w]);
    value.dispose();
    return grads[piece.w.name];
  });
  const ref = create(cfg, { seed: 3 });
  const Wp = tf.tidy(() => withTraining(false, () => tf.add(W, piece.forward())));
  ref.parameters().get(name)!.assign(Wp);
  const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(ref.logits(ids))) as tf.Scalar, [ref.parameters().get(name)!]);
  const z = zEval(0.4);
  const want = grads[ref.parameters().get(name)!.name].dataSync();
  const got = g.dataSync();
  let max = 0;
  for (let i = 0; i < want.length; i++) max = Math.max(max, Math.abs(got[i] - z * want[i]));
  assert.ok(max < 1e-6, `max |dL/dw - z dL/dW'| = ${max}`);
  tf.dispose([g, Wp, value, ...Object.values(grads)]);
  m.dispose();
  ref.dispose();
});

test("a masked diff trains only the entries under its mask, and finish() keeps exactly those", () => {
  const shape = [4, 5];
  const mask = tf.tensor2d([
    [1, 0, 0, 1, 0],
    [0, 0, 1, 0, 0],
    [0, 1, 0, 0, 0],
    [0, 0, 0, 0, 1],
  ]);
  const maskData = mask.dataSync().slice();
  const piece = new MaskedDiff(tf.randomNormal(shape, 0, 1, "float32", 4), mask);
  const start = piece.d.dataSync().slice();
  for (let i = 0; i < 20; i++) assert.equal(start[i] === 0, maskData[i] === 0, "outside the mask the diff starts at 0");
  const target = tf.randomNormal(shape, 0, 1, "float32", 5);
  const stepper = new Stepper(group(piece.trainables(), 0.05, 0.1), 1);
  for (let s = 0; s < 10; s++) stepper.step(() => tf.sum(tf.square(tf.sub(piece.forward(), target))) as tf.Scalar);
  const after = piece.d.dataSync();
  for (let i = 0; i < 20; i++) {
    if (maskData[i] === 0) assert.equal(after[i], 0, `entry ${i} outside the mask stays exactly 0`);
    else assert.notEqual(after[i], start[i], `entry ${i} under the mask trains`);
  }
  piece.finish();
  assert.equal(piece.trainables().size, 0);
  assert.equal(piece.d.trainable, false);
  assert.deepEqual(
    tf.tidy(() => piece.forward().dataSync()),
    after,
  );
  stepper.dispose();
  piece.dispose();
  target.dispose();
});
