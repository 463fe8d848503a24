// The golden numbers of test/sdk/models (PyTorch reference fixtures) on wasm with the kernels
// sdk/backend registers (the BatchMatMul replacement runs every product, forward and backward),
// and an Adam step that leaves no tensors behind. Own process.

import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { use } from "../../../sdk/backend/index.js";
import { registerGradients } from "../../../sdk/nn/gradients.js";
import { load } from "../../../sdk/models/index.js";
import { FAMILIES, crossEntropy, expectReferenceNumbers, fixtureDir, readReference } from "../models/helpers.js";

before(async () => {
  registerGradients();
  await use("wasm");
});

for (const family of FAMILIES) {
  test(`${family}: logits and gradients on wasm with the registered kernels`, async () => {
    assert.equal(tf.getBackend(), "wasm");
    (await expectReferenceNumbers(family)).dispose();
  });
}

test("an Adam training step on wasm lowers the loss and leaks nothing", async () => {
  const model = await load(fixtureDir("llama"));
  const ref = await readReference("llama");
  const vars = [...model.parameters().values()];
  const opt = tf.train.adam(1e-2);
  const step = () => {
    const loss = tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => crossEntropy(model.logits(ref.ids), ref.targets), vars);
      opt.applyGradients(grads as Parameters<typeof opt.applyGradients>[0]);
      return value;
    });
    const v = loss.dataSync()[0]!;
    loss.dispose();
    return v;
  };
  const first = step();
  const tensors = tf.memory().numTensors;
  step();
  assert.equal(tf.memory().numTensors, tensors);
  const last = step();
  assert.ok(last < first, `loss ${first} -> ${last}`);
  opt.dispose();
  model.dispose();
});
