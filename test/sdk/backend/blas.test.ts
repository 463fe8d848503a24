// The native path of the wasm backend: OpenBLAS runs the matrix products by default where it is
// installed (CI installs Debian's libopenblas0-pthread), info() says which library runs and its
// threads, the thread count follows use() and STILLROOM_BLAS_THREADS, and without the library
// (or with STILLROOM_BLAS=off) XNNPACK runs them and info() says why. Own process.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as tf from "@tensorflow/tfjs-core";
import { readdirSync } from "node:fs";
import { info, use } from "../../../sdk/backend/index.js";
import { activeBlas } from "../../../sdk/backend/blas/index.js";

const BACKEND = new URL("../../../sdk/backend/index.js", import.meta.url).href;

/** Runs `code` (an ES module body with `b` = sdk/backend) in a fresh process; returns its JSON output. */
function inChild(code: string, env: Record<string, string>): unknown {
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", `const b = await import(${JSON.stringify(BACKEND)});\n${code}`], {
    encoding: "utf8",
    env: { ...process.env, ...env },
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

test("use('wasm') runs matrix products in OpenBLAS, and info() says so with its threads", async () => {
  const i = await use("wasm");
  assert.match(i.math, /^OpenBLAS \d+\.\d+\.\d+/, "install libopenblas0-pthread (Debian) for the native path");
  assert.match(i.device, /^cpu \(openblas, wasm simd/);
  assert.ok(Number.isInteger(i.threads) && i.threads >= 1);
  assert.equal(i.blasUnavailable, undefined);
});

test("blasThreads sets OpenBLAS's threads, and products agree across thread counts", async () => {
  const a = tf.randomNormal([3, 200, 150], 0, 1, "float32", 1),
    b = tf.randomNormal([150, 120], 0, 1, "float32", 2);
  const out: Float32Array[] = [];
  for (const n of [1, 2]) {
    assert.equal((await use("wasm", { blasThreads: n })).threads, n);
    out.push(tf.matMul(a, b).dataSync() as Float32Array);
  }
  let err = 0;
  for (let k = 0; k < out[0]!.length; k++) err = Math.max(err, Math.abs(out[0]![k]! - out[1]![k]!));
  assert.ok(err < 1e-4, `1 vs 2 threads: max difference ${err}`);
  tf.dispose([a, b]);
  await assert.rejects(use("wasm", { blasThreads: 0 }), /blasThreads = 0: expected an integer from 1 to 64/);
});

test("parkHelpers ends OpenBLAS's spinning helper threads, and the next product starts them again", async () => {
  await use("wasm", { blasThreads: 2 });
  const blas = activeBlas()!;
  const a = tf.randomNormal([256, 256], 0, 1, "float32", 3);
  const tasks = () => readdirSync("/proc/self/task").length; // this process's threads (Linux)
  const product = () => tf.tidy(() => tf.matMul(a, a).dataSync() as Float32Array);
  const before = product();
  const running = tasks();
  assert.equal(blas.parkHelpers(), true, "Debian's libopenblas0-pthread exports blas_thread_shutdown_");
  assert.equal(tasks(), running - 1, "the one helper of two threads has exited");
  const after = product();
  assert.equal(tasks(), running, "a two-thread product started the helper again");
  assert.deepEqual(after, before);
  a.dispose();
});

test("use('wasm', { blas: false }) hands the products to XNNPACK and says why; { blas: true } brings OpenBLAS back", async () => {
  const off = await use("wasm", { blas: false });
  assert.equal(off.math, "XNNPACK (wasm simd)");
  assert.equal(off.device, "cpu (wasm simd)");
  assert.match(off.blasUnavailable ?? "", /turned off by use/);
  assert.equal(info().math, "XNNPACK (wasm simd)");
  const on = await use("wasm", { blas: true });
  assert.match(on.math, /^OpenBLAS/);
});

test("STILLROOM_BLAS_THREADS sets the threads; a bad value is an error naming it", () => {
  const r = inChild(`console.log(JSON.stringify((await b.use("wasm")).threads));`, { STILLROOM_BLAS_THREADS: "1" });
  assert.equal(r, 1);
  const bad = inChild(`try { await b.use("wasm"); console.log('"no error"'); } catch (e) { console.log(JSON.stringify(e.message)); }`, {
    STILLROOM_BLAS_THREADS: "many",
  });
  assert.match(String(bad), /STILLROOM_BLAS_THREADS = "many": expected an integer from 1 to 64/);
});

test("without OpenBLAS (or with STILLROOM_BLAS=off) the wasm path runs as before, and info() says why", () => {
  const missing = "/nonexistent/libopenblas.so.0";
  const r = inChild(
    `const i = await b.use("wasm");
     let required = "";
     try { await b.use("wasm", { blas: true }); } catch (e) { required = e.message; }
     console.log(JSON.stringify({ math: i.math, why: i.blasUnavailable, required }));`,
    { STILLROOM_BLAS: missing },
  ) as { math: string; why: string; required: string };
  assert.equal(r.math, "XNNPACK (wasm simd)");
  assert.ok(r.why.includes(missing), r.why);
  assert.match(r.required, /use\("wasm", \{ blas: true \}\): no OpenBLAS found .*libopenblas0-pthread/);
  const off = inChild(`const i = await b.use("wasm"); console.log(JSON.stringify(i));`, { STILLROOM_BLAS: "off" }) as {
    math: string;
    blasUnavailable: string;
  };
  assert.equal(off.math, "XNNPACK (wasm simd)");
  assert.equal(off.blasUnavailable, "turned off by STILLROOM_BLAS=off");
});
