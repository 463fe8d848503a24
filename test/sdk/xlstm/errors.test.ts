// Bad input gets an error that names the function, the argument, the shape or value, and what was
// expected.

import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import {
  featureMap,
  hybridAttention,
  mlstmChunkwise,
  mlstmParallel,
  mlstmRecurrent,
  mlstmStep,
  type MlstmOptions,
  mlstmZeroState,
  outputGateMix,
  slidingWindowAttention,
  slidingWindowCache,
  slidingWindowStep,
} from "../../../sdk/xlstm/index.js";
import { useWasm } from "./helpers.js";

const z = (...shape: number[]) => tf.zeros(shape);
let q: tf.Tensor4D;
let v: tf.Tensor4D;
let g: tf.Tensor3D;

before(async () => {
  await useWasm();
  q = z(1, 2, 5, 4) as tf.Tensor4D;
  v = z(1, 2, 5, 3) as tf.Tensor4D;
  g = z(1, 2, 5) as tf.Tensor3D;
});

function throwsNaming(fn: () => unknown, ...parts: string[]) {
  // in a scope, so that the bad inputs made inside fn are disposed
  assert.throws(
    () => tf.tidy(() => void fn()),
    (e: Error) => {
      for (const p of parts) assert.ok(e.message.includes(p), `message ${JSON.stringify(e.message)} names ${JSON.stringify(p)}`);
      return true;
    },
  );
}

test("mLSTM forms name the argument, its shape and the expected shape", () => {
  for (const [name, f] of [
    ["mlstmParallel", mlstmParallel],
    ["mlstmChunkwise", mlstmChunkwise],
    ["mlstmRecurrent", mlstmRecurrent],
  ] as const) {
    const run = f as (...a: unknown[]) => unknown;
    throwsNaming(() => run(z(2, 5, 4), q, v, g, g), name, "q has shape [2, 5, 4]", "[B, H, S, Dqk]");
    throwsNaming(() => run(q, z(1, 2, 5, 3), v, g, g), "k has shape [1, 2, 5, 3]", "[1, 2, 5, 4]");
    throwsNaming(() => run(q, q, z(1, 2, 6, 3), g, g), "v has shape [1, 2, 6, 3]", "[1, 2, 5, 3]");
    throwsNaming(() => run(q, q, v, z(1, 2, 4), g), "iPre has shape [1, 2, 4]", "[B, H, S] = [1, 2, 5]");
    throwsNaming(() => run(q, q, v, g, z(1, 5)), "fPre has shape [1, 5]");
    throwsNaming(() => run(q, q, v, tf.zeros([1, 2, 5], "int32"), g), "iPre has dtype int32; expected float32");
    throwsNaming(() => run(z(1, 2, 0, 4), z(1, 2, 0, 4), z(1, 2, 0, 3), z(1, 2, 0), z(1, 2, 0)), "the sequence (axis 2) is empty");
    const bad: [MlstmOptions, string][] = [
      [{ eps: -1 }, "eps = -1; expected a finite number >= 0"],
      [{ mInit: "one" as never }, 'mInit = "one"; expected one of "-inf", "zero"'],
      [{ gateSoftCap: 0 }, "gateSoftCap = 0; expected a finite number > 0, or null"],
    ];
    for (const [opts, msg] of bad) throwsNaming(() => run(q, q, v, g, g, opts), name, msg);
  }
});

test("chunkwise and recurrent forms check chunkSize and the initial state", () => {
  throwsNaming(() => mlstmChunkwise(q, q, v, g, g, { chunkSize: 0 }), "mlstmChunkwise: chunkSize = 0; expected an integer >= 1");
  throwsNaming(() => mlstmChunkwise(q, q, v, g, g, { chunkSize: 2.5 }), "chunkSize = 2.5");
  const state = mlstmZeroState(1, 2, 3, 3);
  throwsNaming(
    () => mlstmChunkwise(q, q, v, g, g, { initialState: state }),
    "initialState.C has shape [1, 2, 3, 3]",
    "[B, H, Dqk, Dv] = [1, 2, 4, 3]",
  );
  throwsNaming(() => mlstmRecurrent(q, q, v, g, g, { initialState: state }), "mlstmRecurrent: initialState.C");
  tf.dispose(state);
});

test("mlstmStep takes one token [B, H, D] and a matching state", () => {
  const q1 = z(1, 2, 4) as tf.Tensor3D;
  const v1 = z(1, 2, 3) as tf.Tensor3D;
  const g1 = z(1, 2) as tf.Tensor2D;
  throwsNaming(
    () => mlstmStep(null, q as unknown as tf.Tensor3D, q1, v1, g1, g1),
    "mlstmStep: q has shape [1, 2, 5, 4]; expected [B, H, Dqk] (one token)",
  );
  throwsNaming(() => mlstmStep(null, q1, q1, v1, g as unknown as tf.Tensor2D, g1), "iPre has shape [1, 2, 5]", "[B, H] = [1, 2]");
  const state = mlstmZeroState(1, 2, 4, 3);
  throwsNaming(() => mlstmStep({ ...state, m: z(1, 3) as tf.Tensor2D }, q1, q1, v1, g1, g1), "state.m has shape [1, 3]", "[B, H] = [1, 2]");
  tf.dispose(state);
});

test("sliding-window attention checks window, sinks, heads and the cache", () => {
  const k = z(1, 1, 5, 4) as tf.Tensor4D;
  throwsNaming(
    () => slidingWindowAttention(q, k, k, { window: 0, sinks: 4 }),
    "slidingWindowAttention: window = 0; expected an integer >= 1",
  );
  throwsNaming(() => slidingWindowAttention(q, k, k, { window: 4, sinks: -1 }), "sinks = -1; expected an integer >= 0");
  throwsNaming(() => slidingWindowAttention(q, k, k, {} as never), "window = undefined");
  throwsNaming(
    () =>
      slidingWindowAttention(z(1, 3, 5, 4) as tf.Tensor4D, z(1, 2, 5, 4) as tf.Tensor4D, z(1, 2, 5, 4) as tf.Tensor4D, {
        window: 2,
        sinks: 0,
      }),
    "3 query heads cannot share 2 key/value heads",
  );
  throwsNaming(
    () => slidingWindowAttention(q, z(1, 1, 6, 4) as tf.Tensor4D, k, { window: 2, sinks: 0 }),
    "k has shape [1, 1, 6, 4]",
    "[1, 1, 5, 4]",
  );
  throwsNaming(() => slidingWindowAttention(q, k, z(1, 1, 5, 3) as tf.Tensor4D, { window: 2, sinks: 0 }), "v has shape [1, 1, 5, 3]");
  const cache = slidingWindowCache(k, k, { window: 4, sinks: 1 });
  const q1 = z(1, 2, 4) as tf.Tensor3D;
  const k1 = z(1, 1, 4) as tf.Tensor3D;
  throwsNaming(
    () => slidingWindowStep(cache, q1, k1, k1, { window: 2, sinks: 1 }),
    "the cache holds 1 sink and 4 window positions; options allow 1 and 2",
  );
  throwsNaming(() => slidingWindowStep(cache, q1, z(1, 1, 3) as tf.Tensor3D, k1, { window: 4, sinks: 1 }), "k has shape [1, 1, 3]");
  tf.dispose(cache);
});

test("feature map, output gate and hybrid attention name what is wrong", () => {
  throwsNaming(
    () => featureMap(q, z(2, 3, 6) as tf.Tensor3D),
    "featureMap: weight has shape [2, 3, 6]",
    "[H, D, F] (H and D from x) = [2, 4, 6]",
  );
  throwsNaming(
    () => featureMap(q, z(2, 4, 6) as tf.Tensor3D, { kind: "relu" as never }),
    'kind = "relu"; expected one of "hedgehog", "lolcats"',
  );
  throwsNaming(() => featureMap(q, z(2, 4, 6) as tf.Tensor3D, { bias: z(2, 5) as tf.Tensor2D }), "bias has shape [2, 5]", "[H, F]");
  throwsNaming(() => outputGateMix(z(1, 2, 4), q, q), "outputGateMix: oPre has shape [1, 2, 4]", "[1, 2, 5]");
  throwsNaming(() => outputGateMix(g, q, v), "swa has shape [1, 2, 5, 3]");
  const w = { featureQ: z(2, 4, 3) as tf.Tensor3D, featureK: z(2, 4, 3) as tf.Tensor3D };
  throwsNaming(
    () => hybridAttention({ q: z(2, 5, 4) as never, k: q, v: q, iPre: g, fPre: g, oPre: g }, w, { window: 2, sinks: 0 }),
    "hybridAttention: q has shape [2, 5, 4]; expected [B, H, S, D]",
  );
  throwsNaming(
    () => hybridAttention({ q, k: q, v: q, iPre: g, fPre: g, oPre: z(1, 2) as never }, w, { window: 2, sinks: 0 }),
    "oPre has shape [1, 2]",
  );
});
