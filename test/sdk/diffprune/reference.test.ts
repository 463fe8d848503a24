// DiffPrune's building blocks against golden numbers from an independent PyTorch implementation
// (tools/diffprune/reference.py, float64): the gate, the L0 term and the diff's gradient; the
// adversary behind gradient reversal, its loss and gradients.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as tf from "@tensorflow/tfjs-core";
import { useCpu } from "../models/helpers.js";
import { expectedL0, gateDeterministic, gateSample } from "../../../sdk/diffprune/gate.js";
import { Adversary } from "../../../sdk/diffprune/heads.js";
import { reverseGradient } from "../../../sdk/diffprune/reversal.js";
import { namedParameters } from "../../../sdk/nn/module.js";

before(useCpu);

const REF = JSON.parse(readFileSync(fileURLToPath(new URL("../../../../test/fixtures/diffprune/reference.json", import.meta.url)), "utf8"));

/** max |a - b| <= atol + rtol * max |b| */
function close(a: ArrayLike<number>, b: number[], atol: number, rtol: number, what: string): void {
  assert.equal(a.length, b.length, what);
  const scale = Math.max(...b.map(Math.abs));
  let max = 0;
  for (let i = 0; i < b.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  assert.ok(max <= atol + rtol * scale, `${what}: max abs error ${max} (scale ${scale})`);
}

test("gate, L0 and the diff's gradient match the PyTorch reference", () => {
  const d = REF.diff;
  const t = (xs: number[]) => tf.tensor(xs, d.shape);
  const [W, K, u] = [t(d.W), t(d.K), t(d.u)];
  const w = tf.variable(t(d.w));
  const la = tf.variable(t(d.log_alpha));
  close(
    tf.tidy(() => gateSample(la, u).dataSync()),
    d.z,
    1e-6,
    0,
    "z (training sample)",
  );
  close(
    tf.tidy(() => gateDeterministic(la).dataSync()),
    d.z_eval,
    1e-6,
    0,
    "z (evaluation)",
  );
  const { value, grads } = tf.variableGrads(
    () => tf.add(tf.sum(tf.mul(K, tf.square(tf.add(W, tf.mul(gateSample(la, u), w))))), tf.mul(expectedL0(la), d.l0_weight)) as tf.Scalar,
    [w, la],
  );
  close(value.dataSync(), [d.loss], 1e-5, 1e-6, "loss");
  close(grads[w.name].dataSync(), d.grad_w, 1e-5, 1e-5, "dL/dw");
  close(grads[la.name].dataSync(), d.grad_log_alpha, 1e-5, 1e-5, "dL/dlog_alpha");
  tf.dispose([W, K, u, w, la, value, ...Object.values(grads)]);
});

for (const key of ["adversary_binary", "adversary_multi"]) {
  test(`the adversary behind gradient reversal matches the PyTorch reference (${key})`, () => {
    const c = REF[key];
    const [B, C] = c.shape;
    const adv = new Adversary(C, c.classes, { heads: c.heads });
    const vars = [...namedParameters(adv).values()];
    const flat = c.params.flat() as number[][];
    for (const [i, v] of vars.entries()) v.assign(tf.tensor(flat[i], v.shape));
    const h = tf.variable(tf.tensor2d(c.h, [B, C]));
    const y = tf.tensor1d(c.y, "int32");
    const logits = tf.tidy(() => adv.forward(h).dataSync());
    close(logits, (c.logits as number[][]).flat(), 1e-5, 1e-5, "logits of every head");
    const { value, grads } = tf.variableGrads(() => adv.loss(reverseGradient(h, c.lambda), y), [h, ...vars]);
    close(value.dataSync(), [c.loss], 1e-5, 1e-6, "loss: the mean of the heads' losses");
    close(grads[h.name].dataSync(), c.grad_h, 1e-5, 1e-5, "dL/dh through the reversal (-lambda times)");
    const gradParams = (c.grad_params as number[][][]).flat();
    const names = [...namedParameters(adv).keys()];
    for (const [i, v] of vars.entries()) close(grads[v.name].dataSync(), gradParams[i], 1e-5, 1e-5, `dL/d${names[i]}`);
    tf.dispose([h, y, value, ...Object.values(grads), ...vars]);
  });
}
