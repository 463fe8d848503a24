// The wasm heap is 32-bit (4 GiB). A tensor that cannot fit is an error that names its shape and
// size, raised before any memory is touched, and the backend goes on working; before the guard, the
// byte count wrapped around in malloc and the tensor pointed at memory it did not own. Own process.

import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { use } from "../../../sdk/backend/index.js";

before(async () => {
  await use("wasm");
});

test("a kernel output over 4 GiB is an error naming its shape and size; nothing leaks, wasm goes on", () => {
  const a = tf.zeros([65536, 1]),
    b = tf.zeros([1, 65536]); // their sum broadcasts to [65536, 65536]: 16 GiB of float32
  const ids = tf.engine().backend.numDataIds();
  assert.throws(
    () => tf.add(a, b),
    /wasm heap: a float32 tensor of shape \[65536, 65536\] \(16\.00 GiB\) does not fit: the wasm backend's memory is 32-bit, 4\.00 GiB at most/,
  );
  assert.equal(tf.engine().backend.numDataIds(), ids);
  assert.deepEqual([...tf.tidy(() => tf.sum(tf.add(tf.ones([3]), 1))).dataSync()], [6]);
  tf.dispose([a, b]);
});

test("a batch of a model that would need more than the heap fails with the guard's error, not a crash", () => {
  // attention scores of 64 heads over 8,192 positions, batch 4: [4, 64, 8192, 8192] = 64 GiB
  const q = tf.zeros([4, 64, 8192, 1]),
    k = tf.zeros([4, 64, 1, 8192]);
  assert.throws(() => tf.matMul(q, k), /wasm heap: a float32 tensor of shape \[4, 64, 8192, 8192\] \(64\.00 GiB\) does not fit/);
  tf.dispose([q, k]);
});
