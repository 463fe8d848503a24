// The same golden numbers on the wasm backend (the SDK's CPU default): catches kernels a backend
// lacks (wasm has no UnsortedSegmentSum, which gather's stock gradient needs). Own process, own backend.

import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-wasm";
import { load } from "../../../sdk/models/index.js";
import { FAMILIES, crossEntropy, fixtureDir, maxAbs, maxAbsDiff, readReference } from "./helpers.js";

before(async () => {
  await tf.setBackend("wasm");
  await tf.ready();
});

for (const family of FAMILIES) {
  test(`${family} on wasm: logits, gradients and cached generation`, async () => {
    assert.equal(tf.getBackend(), "wasm");
    const model = await load(fixtureDir(family));
    const ref = await readReference(family);
    const logits = model.logits(ref.ids);
    assert.ok(maxAbsDiff(logits.dataSync(), ref.logits) <= 1e-4);
    logits.dispose();
    const names = [...ref.grads.keys()];
    const vars = names.map((n) => model.parameters().get(n)!);
    const { value, grads } = tf.variableGrads(() => crossEntropy(model.logits(ref.ids), ref.targets), vars);
    names.forEach((n, i) => {
      const want = ref.grads.get(n)!;
      assert.ok(maxAbsDiff(grads[vars[i].name].dataSync(), want) / maxAbs(want) <= 1e-4, n);
    });
    tf.dispose([value, grads]);
    const before = tf.memory().numTensors;
    const out = await model.generate([[1, 2, 3], [4, 5]], { maxNewTokens: 4, eosTokenId: null });
    assert.deepEqual(out.map((r) => r.length), [4, 4]);
    assert.equal(tf.memory().numTensors, before);
    model.dispose();
  });
}
