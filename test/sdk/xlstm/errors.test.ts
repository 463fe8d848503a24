// Bad input gets the SDK's ArgumentError, naming the function, the argument, the shape or value it
// got, and what it accepts.

import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { ArgumentError } from "../../../sdk/errors.js";
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
      assert.ok(e instanceof ArgumentError, `${e.name}: ${e.message}`);
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
    throwsNaming(() => run(z(2, 5, 4), q, v, g, g), name, "q.shape = [2,5,4]", "expected [B, H, S, Dqk]");
    throwsNaming(() => run(q, z(1, 2, 5, 3), v, g, g), "k.shape = [1,2,5,3]: expected [B, H, S, Dqk] like q", "[1, 2, 5, 4]");
    throwsNaming(() => run(q, q, z(1, 2, 6, 3), g, g), "v.shape = [1,2,6,3]", "[1, 2, 5, 3]");
    throwsNaming(() => run(q, q, v, z(1, 2, 4), g), "iPre.shape = [1,2,4]", "[B, H, S] = [1, 2, 5]");
    throwsNaming(() => run(q, q, v, g, z(1, 5)), "fPre.shape = [1,5]");
    throwsNaming(() => run(q, q, v, tf.zeros([1, 2, 5], "int32"), g), 'iPre.dtype = "int32": expected float32');
    throwsNaming(
      () => run(z(1, 2, 0, 4), z(1, 2, 0, 4), z(1, 2, 0, 3), z(1, 2, 0), z(1, 2, 0)),
      "q.shape = [1,2,0,4]: expected [B, H, S, Dqk] with S >= 1 (the sequence, axis 2, is empty)",
    );
    const bad: [MlstmOptions, string][] = [
      [{ eps: -1 }, "eps = -1: expected a finite number >= 0"],
      [{ mInit: "one" as never }, 'mInit = "one": expected one of "-inf", "zero"'],
      [{ gateSoftCap: 0 }, "gateSoftCap = 0: expected a finite number > 0, or null"],
    ];
    for (const [opts, msg] of bad) throwsNaming(() => run(q, q, v, g, g, opts), name, msg);
  }
});

test("chunkwise and recurrent forms check chunkSize and the initial state", () => {
  throwsNaming(() => mlstmChunkwise(q, q, v, g, g, { chunkSize: 0 }), "mlstmChunkwise: chunkSize = 0: expected an integer >= 1");
  throwsNaming(() => mlstmChunkwise(q, q, v, g, g, { chunkSize: 2.5 }), "chunkSize = 2.5");
  const state = mlstmZeroState(1, 2, 3, 3);
  throwsNaming(
    () => mlstmChunkwise(q, q, v, g, g, { initialState: state }),
    "initialState.C.shape = [1,2,3,3]",
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
    "mlstmStep: q.shape = [1,2,5,4]: expected [B, H, Dqk] (one token)",
  );
  throwsNaming(() => mlstmStep(null, q1, q1, v1, g as unknown as tf.Tensor2D, g1), "iPre.shape = [1,2,5]", "[B, H] = [1, 2]");
  const state = mlstmZeroState(1, 2, 4, 3);
  throwsNaming(() => mlstmStep({ ...state, m: z(1, 3) as tf.Tensor2D }, q1, q1, v1, g1, g1), "state.m.shape = [1,3]", "[B, H] = [1, 2]");
  tf.dispose(state);
});

test("sliding-window attention checks window, sinks, heads and the cache", () => {
  const k = z(1, 1, 5, 4) as tf.Tensor4D;
  throwsNaming(
    () => slidingWindowAttention(q, k, k, { window: 0, sinks: 4 }),
    "slidingWindowAttention: window = 0: expected an integer >= 1",
  );
  throwsNaming(() => slidingWindowAttention(q, k, k, { window: 4, sinks: -1 }), "sinks = -1: expected an integer >= 0");
  throwsNaming(() => slidingWindowAttention(q, k, k, {} as never), "window = undefined");
  throwsNaming(
    () =>
      slidingWindowAttention(z(1, 3, 5, 4) as tf.Tensor4D, z(1, 2, 5, 4) as tf.Tensor4D, z(1, 2, 5, 4) as tf.Tensor4D, {
        window: 2,
        sinks: 0,
      }),
    "k.shape = [1,2,5,4]: expected Hkv (axis 1) dividing the 3 query heads of q",
  );
  throwsNaming(
    () => slidingWindowAttention(q, z(1, 1, 6, 4) as tf.Tensor4D, k, { window: 2, sinks: 0 }),
    "k.shape = [1,1,6,4]",
    "[1, 1, 5, 4]",
  );
  throwsNaming(
    () => slidingWindowAttention(q, k, z(1, 1, 5, 3) as tf.Tensor4D, { window: 2, sinks: 0 }),
    "v.shape = [1,1,5,3]: expected the shape of k",
  );
  const cache = slidingWindowCache(k, k, { window: 4, sinks: 1 });
  const q1 = z(1, 2, 4) as tf.Tensor3D;
  const k1 = z(1, 1, 4) as tf.Tensor3D;
  throwsNaming(
    () => slidingWindowStep(cache, q1, k1, k1, { window: 2, sinks: 1 }),
    'cache = {"sinks":1,"window":4}: expected at most 1 sink and 2 window positions',
  );
  throwsNaming(
    () => slidingWindowStep(cache, q1, z(1, 1, 3) as tf.Tensor3D, k1, { window: 4, sinks: 1 }),
    "k.shape = [1,1,3]: expected [B, Hkv, D]",
  );
  tf.dispose(cache);
});

test("feature map, output gate and hybrid attention name what is wrong", () => {
  throwsNaming(
    () => featureMap(q, z(2, 3, 6) as tf.Tensor3D),
    "featureMap: weight.shape = [2,3,6]",
    "[H, D, F] (H and D from x) = [2, 4, 6]",
  );
  throwsNaming(
    () => featureMap(q, z(2, 4, 6) as tf.Tensor3D, { kind: "relu" as never }),
    'kind = "relu": expected one of "hedgehog", "lolcats"',
  );
  throwsNaming(() => featureMap(q, z(2, 4, 6) as tf.Tensor3D, { bias: z(2, 5) as tf.Tensor2D }), "bias.shape = [2,5]", "[H, F]");
  throwsNaming(() => outputGateMix(z(1, 2, 4), q, q), "outputGateMix: oPre.shape = [1,2,4]", "[1, 2, 5]");
  throwsNaming(() => outputGateMix(g, q, v), "swa.shape = [1,2,5,3]");
  const w = { featureQ: z(2, 4, 3) as tf.Tensor3D, featureK: z(2, 4, 3) as tf.Tensor3D };
  throwsNaming(
    () => hybridAttention({ q: z(2, 5, 4) as never, k: q, v: q, iPre: g, fPre: g, oPre: g }, w, { window: 2, sinks: 0 }),
    "hybridAttention: q.shape = [2,5,4]: expected [B, H, S, D]",
  );
  throwsNaming(
    () => hybridAttention({ q, k: q, v: q, iPre: g, fPre: g, oPre: z(1, 2) as never }, w, { window: 2, sinks: 0 }),
    "oPre.shape = [1,2]: expected [B, H, S] = [1, 2, 5]",
  );
});
