import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { fit } from "../../../sdk/train/fit.js";
import { batches } from "../../../sdk/train/batches.js";
import { causalLmLoss } from "../../../sdk/train/loss.js";
import { Dropout } from "../../../sdk/nn/dropout.js";
import { Linear } from "../../../sdk/nn/linear.js";
import { isTraining } from "../../../sdk/nn/mode.js";
import type { Model } from "../../../sdk/models/model.js";
import { useCpu, tinyModel, tokens } from "./helpers.js";

before(useCpu);

const data = () => batches(tokens(), { batchSize: 4, seqLen: 16, seed: 1 });
const snap = (m: Model) => new Map([...m.parameters()].map(([n, v]) => [n, Array.from(v.dataSync())]));
const changed = (a: Map<string, number[]>, b: Map<string, number[]>) =>
  [...a.keys()].filter((n) => a.get(n)!.some((x, i) => x !== b.get(n)![i])).sort();

test("freeze, then fit: only the trainable parameters change, and the frozen ones bit for bit stay", async () => {
  const m = tinyModel();
  m.freeze();
  const on = m.unfreeze(/mlp\.(up|down)_proj|^model\.norm/);
  const s0 = snap(m);
  await fit(m, data(), { steps: 3, lr: 1e-2, quiet: true });
  assert.deepEqual(changed(s0, snap(m)), on.sort());
  m.dispose();
});

test("params narrows the trainable set; names in a list train even when frozen; patterns skip frozen ones", async () => {
  const m = tinyModel();
  m.freeze("model.layers.0.self_attn");
  const s0 = snap(m);
  await fit(m, data(), { steps: 2, lr: 1e-2, quiet: true, params: (n) => n.includes("self_attn") || n === "lm_head.weight" });
  assert.deepEqual(changed(s0, snap(m)), ["lm_head.weight"], "the predicate's frozen matches stay frozen");
  const s1 = snap(m);
  await fit(m, data(), { steps: 2, lr: 1e-2, quiet: true, params: ["model.layers.0.self_attn.q_proj.weight"] });
  assert.deepEqual(changed(s1, snap(m)), ["model.layers.0.self_attn.q_proj.weight"], "a named frozen weight trains");
  assert.equal(m.parameters().get("model.layers.0.self_attn.q_proj.weight")!.trainable, false, "and stays marked frozen");
  const s2 = snap(m);
  await fit(m, data(), {
    steps: 2,
    lr: 1e-2,
    quiet: true,
    params: [{ match: ["model.layers.0.self_attn.k_proj.weight"], lr: 1e-2 }, { match: /lm_head|self_attn/ }],
  });
  assert.deepEqual(changed(s2, snap(m)), ["lm_head.weight", "model.layers.0.self_attn.k_proj.weight"]);
  await assert.rejects(
    fit(m, data(), { steps: 1, quiet: true, params: [{ match: /self_attn\.v_proj/ }] }),
    /fit: params\[0\]\.match = \/self_attn\\\.v_proj\/ matches only frozen parameters:\n {2}model\.layers\.0\.self_attn\.v_proj\.weight\nunfreeze them/,
  );
  m.freeze();
  await assert.rejects(
    fit(m, data(), { steps: 1, quiet: true }),
    /fit: every parameter is frozen; unfreeze some \(model\.unfreeze\(match\)\)/,
  );
  m.dispose();
});

test("fit runs its steps in training mode, heads outside the model included, and restores the caller's mode", async () => {
  const m = tinyModel();
  const head = new Linear(tf.variable(tf.randomNormal([2, 16], 0, 0.1, "float32", 3)) as tf.Variable<tf.Rank.R2>);
  const drop = new Dropout(0.5, 1);
  const seen: [boolean, boolean][] = [];
  const loss = (model: Model, b: { ids: number[][]; labels: number[][] }) => {
    seen.push([model.training, isTraining()]);
    const h = model.hidden(b.ids); // [B, T, C]
    const extra = tf.mean(tf.square(head.forward(drop.forward(h)))); // []
    const lm = causalLmLoss(model.logits(b.ids), b.labels); // []
    return tf.add(lm, extra) as tf.Scalar;
  };
  assert.equal(m.training, false);
  await fit(m, data(), { steps: 2, quiet: true, loss });
  assert.deepEqual(seen, [
    [true, true],
    [true, true],
  ]);
  assert.equal(m.training, false, "evaluation mode is given back");
  m.train();
  await assert.rejects(fit(m, [{ ids: [[1, 99]] }], { steps: 1, quiet: true }));
  assert.equal(m.training, true, "training mode is given back too, even after an error");
  m.dispose();
  head.weight.dispose();
});
