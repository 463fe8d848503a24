// The threaded wasm build under Node: two XNNPACK threads start, info() reports them, products
// match the cpu backend, and the workers do not keep the process alive (the runner would time
// out). Own process: threads are fixed when wasm starts.

import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { info, use } from "../../../sdk/backend/index.js";

test("use('wasm', { threads: 2 }) runs XNNPACK on two threads", async () => {
  const i = await use("wasm", { threads: 2 });
  assert.deepEqual([i.name, i.threads, i.device], ["wasm", 2, "cpu (wasm simd, threads)"]);
  const a = tf.randomNormal([2, 96, 80], 0, 1, "float32", 1),
    b = tf.randomNormal([2, 64, 80], 0, 1, "float32", 2);
  const y = tf.matMul(a, b, false, true).dataSync();
  const a2 = tf.tensor(a.arraySync()),
    b2 = tf.tensor(b.arraySync());
  await tf.setBackend("cpu");
  const want = tf.matMul(tf.tensor(a2.arraySync()), tf.tensor(b2.arraySync()), false, true).dataSync();
  let err = 0;
  for (let k = 0; k < want.length; k++) err = Math.max(err, Math.abs(y[k]! - want[k]!));
  assert.ok(err < 1e-4, `max error ${err}`);
  await tf.setBackend("wasm");
  assert.equal(info().threads, 2);
});
