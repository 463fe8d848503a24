// sr.xlstm through the SDK's one public barrel: the names the SDK promises, callable as a notebook
// calls them.

import { test } from "node:test";
import assert from "node:assert/strict";
import type * as tfc from "@tensorflow/tfjs-core";

test("sr.xlstm exports the mLSTM forms and the hybrid pieces", async () => {
  process.env.STILLROOM_BACKEND = "wasm";
  const sr = await import("../../../sdk/index.js");
  for (const name of [
    "mlstmParallel",
    "mlstmChunkwise",
    "mlstmRecurrent",
    "mlstmStep",
    "mlstmZeroState",
    "featureMap",
    "slidingWindowAttention",
    "slidingWindowCache",
    "slidingWindowStep",
    "outputGateMix",
    "hybridAttention",
    "hybridAttentionStep",
  ] as const) {
    assert.equal(typeof sr.xlstm[name], "function", `sr.xlstm.${name}`);
  }
  const { tf } = sr;
  const [q, k, v] = [tf.ones([1, 1, 3, 2]), tf.ones([1, 1, 3, 2]), tf.ones([1, 1, 3, 2])] as tfc.Tensor4D[];
  const g = tf.zeros([1, 1, 3]) as tfc.Tensor3D;
  const h = sr.xlstm.mlstmChunkwise(q, k, v, g, g, { chunkSize: 2 });
  assert.deepEqual(h.shape, [1, 1, 3, 2]);
  // all keys equal all values: every output is that value
  assert.ok(Array.from(h.dataSync()).every((x) => Math.abs(x - 1) < 1e-5));
});
