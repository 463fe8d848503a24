// use() and info(): names, errors, and info().threads telling the truth. Own process.

import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { defaultWasmThreads, info, use } from "../../../sdk/backend/index.js";

test("use('wasm') starts one wasm thread by default, and info says so", async () => {
  const prev = process.env.STILLROOM_WASM_THREADS;
  delete process.env.STILLROOM_WASM_THREADS;
  assert.equal(defaultWasmThreads(), 1);
  const i = await use("wasm", { blas: false });
  assert.deepEqual([i.name, i.threads, i.device, i.math], ["wasm", 1, "cpu (wasm simd)", "XNNPACK (wasm simd)"]);
  assert.equal(tf.getBackend(), "wasm");
  if (prev !== undefined) process.env.STILLROOM_WASM_THREADS = prev;
});

test("use('cpu') and back; info follows the backend", async () => {
  assert.deepEqual((await use("cpu")).threads, 1);
  assert.equal(info().device, "cpu (javascript)");
  assert.equal(info().math, "JavaScript");
  assert.equal((await use("wasm")).name, "wasm");
});

test("errors name what is wrong", async () => {
  await assert.rejects(use("gpu" as never), /backend "gpu": choose one of auto, tensorflow, webgpu, wasm, cpu/);
  await assert.rejects(use("tensorflow"), /install @tensorflow\/tfjs-node-gpu/);
  process.env.STILLROOM_WASM_THREADS = "0";
  assert.throws(() => defaultWasmThreads(), /STILLROOM_WASM_THREADS = "0": expected an integer from 1 to 8/);
  delete process.env.STILLROOM_WASM_THREADS;
});
