import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { useCpu } from "../models/helpers.js";
import { create } from "../../../sdk/models/index.js";
import { task } from "../../../sdk/diffprune/task.js";
import { accuracy, majorityRate } from "../../../sdk/eval/metrics.js";
import { tinyData, tinyModelFor } from "./helpers.js";

before(useCpu);

const data = tinyData(240, 5);

test("task fine-tuning learns the labels; the core predicts label names; mean pooling works too", async () => {
  const model = tinyModelFor(data);
  const tensors = tf.memory().numTensors;
  const core = await task(model, data, { epochs: 4, lr: 5e-3, quiet: true });
  assert.equal(tf.memory().numTensors, tensors + 2, "the task head's weight and bias, nothing else");
  const losses = core.log!.series.get("task")!;
  assert.equal(losses.length, 4 * Math.ceil(data.train.length / 32));
  assert.ok(core.log!.recent("task", 5) < 0.7 * losses[0], `loss ${losses[0]} -> ${core.log!.recent("task", 5)}`);
  const pred = core.predict(data.test);
  const truth = data.test.map((e) => data.labels[e.label]);
  const acc = accuracy(
    pred.map((p) => data.labels.indexOf(p)),
    truth.map((t) => data.labels.indexOf(t)),
  );
  assert.ok(acc > majorityRate(data.test.map((e) => e.label)) + 0.2, `accuracy ${acc}`);
  assert.equal(model.tokenizer, data.tokenizer, "the model keeps the tokenizer it was fine-tuned with");
  const h = core.represent(["she treats patients on the ward .", data.test[0]]);
  assert.deepEqual(h.shape, [2, 16]);
  h.dispose();
  const mean = await task(tinyModelFor(data, 1), data, { epochs: 1, pooling: "mean", quiet: true });
  assert.equal(mean.pooling, "mean");
  tf.dispose(mean.represent(data.test.slice(0, 3)));
  for (const c of [core, mean]) c.dispose();
});

test("adversarial fine-tuning trains an adversary per attribute through gradient reversal and frees them after", async () => {
  const model = tinyModelFor(data, 2);
  const tensors = tf.memory().numTensors;
  const core = await task(model, data, { epochs: 1, adversarial: ["gender", "age"], lambda: 0.5, quiet: true });
  assert.deepEqual([...core.log!.series.keys()].sort(), ["adversary age", "adversary gender", "loss", "task"]);
  const s = core.log!.series;
  assert.ok(Math.abs(s.get("loss")![0] - (s.get("task")![0] + s.get("adversary gender")![0] + s.get("adversary age")![0])) < 1e-4);
  assert.equal(tf.memory().numTensors, tensors + 2, "adversaries and optimizer state are freed");
  core.dispose();
});

test("bad input to task is refused by name", async () => {
  const model = tinyModelFor(data, 3);
  const tensors = tf.memory().numTensors;
  await assert.rejects(task(model, data, { adversarial: "race" }), /attribute = "race": expected one of gender, age/);
  await assert.rejects(task(model, data, { pooling: "first" as never }), /pooling = "first": expected one of last, mean/);
  await assert.rejects(task(model, data, { epochs: 0 }), /epochs = 0: expected an integer >= 1/);
  await assert.rejects(task({} as never, data), /model = \{\}: expected an sr.models Model/);
  await assert.rejects(task(model, [] as never), /data = \[\]: expected a BiasData/);
  const small = create({ family: "llama", vocabSize: 20, dModel: 8, nLayers: 1, nHeads: 2, dFf: 16 });
  await assert.rejects(task(small, data, { quiet: true }), /model.config.vocabSize = 20: expected at least the tokenizer's \d+ ids/);
  model.freeze();
  await assert.rejects(task(model, data, { quiet: true }), /every weight of the model is frozen/);
  assert.equal(tf.memory().numTensors, tensors + small.parameters().size, "a refused call leaves nothing behind");
  model.dispose();
  small.dispose();
});
