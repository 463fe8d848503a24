// The threaded wasm build under Node: two XNNPACK threads start, info() reports them, products
// match the cpu backend, the workers do not keep the process alive (the runner would time out),
// and nothing is left in the temp folder. Own process: threads are fixed when wasm starts.

import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { info, use } from "../../../sdk/backend/index.js";

test("use('wasm', { threads: 2, blas: false }) runs XNNPACK on two threads", async (t) => {
  // a private temp folder: the workers must get the main script without a file written there
  const tmp = mkdtempSync(join(tmpdir(), "stillroom-test-"));
  const before = process.env.TMPDIR;
  process.env.TMPDIR = tmp;
  t.after(() => {
    if (before === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = before;
    rmSync(tmp, { recursive: true, force: true });
  });
  const i = await use("wasm", { threads: 2, blas: false });
  assert.deepEqual(readdirSync(tmp), [], "nothing written to the temp folder");
  assert.deepEqual([i.name, i.threads, i.device, i.math], ["wasm", 2, "cpu (wasm simd, 2 threads)", "XNNPACK (wasm simd)"]);
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
