// The same golden numbers on the wasm backend (the SDK's CPU default), with the kernels the SDK adds
// to it (UnsortedSegmentSum, which the embedding's gradient needs; the faster BatchMatMul). Own
// process, own backend.

import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-wasm";
import { registerWasmKernels } from "../../../sdk/backend/wasm-kernels/index.js";
import { FAMILIES, expectReferenceNumbers } from "./helpers.js";

registerWasmKernels();

before(async () => {
  await tf.setBackend("wasm");
  await tf.ready();
});

for (const family of FAMILIES) {
  test(`${family} on wasm: logits, gradients and cached generation`, async () => {
    assert.equal(tf.getBackend(), "wasm");
    const model = await expectReferenceNumbers(family);
    const before = tf.memory().numTensors;
    const out = await model.generate(
      [
        [1, 2, 3],
        [4, 5],
      ],
      { maxNewTokens: 4, eosTokenId: null },
    );
    assert.deepEqual(
      out.map((r) => r.length),
      [4, 4],
    );
    assert.equal(tf.memory().numTensors, before);
    model.dispose();
  });
}
