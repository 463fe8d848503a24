// The recurrent state {C, n, m}: the chunkwise form's final state equals the recurrent form's and
// the float64 oracle's; a prefill with the chunkwise form followed by token-by-token mlstmStep gives
// the parallel form's outputs over the whole sequence; forms continue from a given state; the step
// starts from the zero state.

import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import {
  mlstmChunkwise,
  mlstmParallel,
  mlstmRecurrent,
  mlstmStep,
  type MlstmState,
  mlstmZeroState,
  type StabilizerStart,
} from "../../../sdk/xlstm/index.js";
import { expectClose, maxAbs, mlstmOracle, randomCase, tensors, useWasm } from "./helpers.js";

before(useWasm);

const at = (x: tf.Tensor, t: number) =>
  tf.tidy(() =>
    tf.squeeze(
      tf.slice(
        x,
        x.shape.map((_, i) => (i === 2 ? t : 0)),
        x.shape.map((d, i) => (i === 2 ? 1 : d)),
      ),
      [2],
    ),
  );
const span = (x: tf.Tensor, from: number, to: number) =>
  tf.slice(
    x,
    x.shape.map((_, i) => (i === 2 ? from : 0)),
    x.shape.map((d, i) => (i === 2 ? to - from : d)),
  );

function expectState(
  t: { diagnostic: (s: string) => void },
  label: string,
  got: MlstmState,
  want: { C: ArrayLike<number>; n: ArrayLike<number>; m: ArrayLike<number> },
) {
  expectClose(t, `${label} C`, got.C.dataSync(), want.C, 1e-5 * maxAbs(want.C), 1e-4);
  expectClose(t, `${label} n`, got.n.dataSync(), want.n, 1e-5 * maxAbs(want.n), 1e-4);
  expectClose(t, `${label} m`, got.m.dataSync(), want.m, 1e-4, 1e-5);
}

for (const mInit of ["-inf", "zero"] as StabilizerStart[]) {
  test(`the chunkwise form's final state equals the recurrent form's and the oracle's (m starting at ${mInit})`, (t) => {
    for (const [S, L] of [
      [256, 64],
      [200, 64],
      [37, 8],
    ]) {
      const c = randomCase({ B: 2, H: 2, S, K: 16, V: 24 }, S, { f: { shift: 2 } });
      const x = tensors(c);
      const before = tf.memory().numTensors;
      const chunk = mlstmChunkwise(x.q, x.k, x.v, x.i, x.f, { chunkSize: L, mInit, returnState: true });
      const rec = mlstmRecurrent(x.q, x.k, x.v, x.i, x.f, { mInit, returnState: true });
      const oracle = mlstmOracle(c, { mInit });
      expectState(t, `S = ${S}, L = ${L}: chunkwise vs oracle`, chunk.state, oracle);
      expectState(t, `S = ${S}: recurrent vs oracle`, rec.state, oracle);
      expectClose(t, `S = ${S}: chunkwise vs recurrent C`, chunk.state.C.dataSync(), rec.state.C.dataSync(), 1e-5 * maxAbs(oracle.C), 1e-4);
      expectClose(t, `S = ${S}: chunkwise vs recurrent m`, chunk.state.m.dataSync(), rec.state.m.dataSync(), 1e-5, 1e-5);
      tf.dispose([chunk, rec]);
      assert.equal(tf.memory().numTensors, before);
      tf.dispose(x as unknown as tf.Tensor[]);
    }
  });
}

test("prefill with the chunkwise form, then decode token by token: the parallel form's outputs", (t) => {
  for (const mInit of ["-inf", "zero"] as StabilizerStart[]) {
    const S = 150;
    const P = 133; // prompt: two full chunks of 64 and a padded one
    const c = randomCase({ B: 1, H: 3, S, K: 16, V: 16 }, 11, { f: { shift: 3 } });
    const x = tensors(c);
    const full = mlstmParallel(x.q, x.k, x.v, x.i, x.f, { mInit });
    const whole = full.dataSync();
    const prompt = [x.q, x.k, x.v, x.i, x.f].map((a) => span(a, 0, P)) as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D, tf.Tensor3D, tf.Tensor3D];
    const before = tf.memory().numTensors;
    const pre = mlstmChunkwise(...prompt, { chunkSize: 64, mInit, returnState: true });
    let state = pre.state;
    const decoded: Float32Array[] = [];
    for (let s = P; s < S; s++) {
      const step = tf.tidy(() => {
        const [q, k, v, i, f] = [x.q, x.k, x.v, x.i, x.f].map((a) => at(a, s));
        return mlstmStep(state, q as tf.Tensor3D, k as tf.Tensor3D, v as tf.Tensor3D, i as tf.Tensor2D, f as tf.Tensor2D, { mInit });
      });
      tf.dispose(state);
      state = step.state;
      decoded.push(step.h.dataSync() as Float32Array);
      step.h.dispose();
    }
    tf.dispose([pre.h, state]);
    assert.equal(tf.memory().numTensors, before, "decoding leaks nothing");
    // h [1, 3, S, 16]: compare the decoded positions head by head
    const want: number[] = [];
    const got: number[] = [];
    for (let h = 0; h < 3; h++) {
      for (let s = P; s < S; s++) {
        for (let e = 0; e < 16; e++) {
          want.push(whole[(h * S + s) * 16 + e]!);
          got.push(decoded[s - P]![h * 16 + e]!);
        }
      }
    }
    expectClose(t, `decoded after prefill vs parallel (m starting at ${mInit})`, got, want, 1e-4, 1e-4);
    tf.dispose([full, ...prompt, ...(Object.values(x) as tf.Tensor[])]);
  }
});

test("forms continue from a given state: two calls equal one", (t) => {
  const S = 90;
  const cut = 41;
  const c = randomCase({ B: 2, H: 2, S, K: 8, V: 8 }, 12, { f: { shift: 2 } });
  const x = tensors(c);
  const all = [x.q, x.k, x.v, x.i, x.f];
  const first = all.map((a) => span(a, 0, cut)) as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D, tf.Tensor3D, tf.Tensor3D];
  const rest = all.map((a) => span(a, cut, S)) as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D, tf.Tensor3D, tf.Tensor3D];
  const once = mlstmRecurrent(x.q, x.k, x.v, x.i, x.f, { returnState: true });
  const tail = (h: tf.Tensor) => span(h, cut, S);
  const onceTail = tail(once.h);
  for (const form of ["chunkwise", "recurrent"] as const) {
    const run = (args: typeof first, initialState?: MlstmState) =>
      form === "chunkwise"
        ? mlstmChunkwise(...args, { chunkSize: 16, initialState, returnState: true })
        : mlstmRecurrent(...args, { initialState, returnState: true });
    const a = run(first);
    const b = run(rest, a.state);
    expectClose(t, `${form}: second call's outputs`, b.h.dataSync(), onceTail.dataSync(), 1e-4, 1e-4);
    expectClose(t, `${form}: final C`, b.state.C.dataSync(), once.state.C.dataSync(), 1e-5, 1e-4);
    // the given state is left as it was
    assert.ok(!a.state.C.isDisposed && !a.state.m.isDisposed);
    tf.dispose([a, b]);
  }
  tf.dispose([once, onceTail, ...first, ...rest, ...all]);
});

test("mlstmStep from null is the step from mlstmZeroState; the state shapes", () => {
  const c = randomCase({ B: 2, H: 3, S: 1, K: 4, V: 5 }, 13);
  const x = tensors(c);
  const q = tf.squeeze(x.q, [2]) as tf.Tensor3D;
  const k = tf.squeeze(x.k, [2]) as tf.Tensor3D;
  const v = tf.squeeze(x.v, [2]) as tf.Tensor3D;
  const i = tf.squeeze(x.i, [2]) as tf.Tensor2D;
  const f = tf.squeeze(x.f, [2]) as tf.Tensor2D;
  for (const mInit of ["-inf", "zero"] as StabilizerStart[]) {
    const zero = mlstmZeroState(2, 3, 4, 5, mInit);
    assert.deepEqual(Array.from(zero.m.dataSync()), Array(6).fill(mInit === "zero" ? 0 : Number.NEGATIVE_INFINITY));
    const before = tf.memory().numTensors;
    const a = mlstmStep(null, q, k, v, i, f, { mInit });
    const b = mlstmStep(zero, q, k, v, i, f, { mInit });
    assert.equal(tf.memory().numTensors, before + 8, "h and three state tensors per call, nothing else");
    assert.deepEqual(a.h.shape, [2, 3, 5]);
    assert.deepEqual(a.state.C.shape, [2, 3, 4, 5]);
    assert.deepEqual(a.state.n.shape, [2, 3, 4]);
    assert.deepEqual(a.state.m.shape, [2, 3]);
    assert.deepEqual(a.h.dataSync(), b.h.dataSync());
    assert.deepEqual(a.state.C.dataSync(), b.state.C.dataSync());
    // after one token from -inf the stabiliser is that token's input gate
    if (mInit === "-inf") assert.deepEqual(Array.from(a.state.m.dataSync()), Array.from(i.dataSync()));
    const par = mlstmParallel(x.q, x.k, x.v, x.i, x.f, { mInit });
    assert.ok(maxAbs(tf.sub(par, tf.expandDims(a.h, 2)).dataSync()) < 1e-6);
    tf.dispose([zero, a, b, par]);
  }
  tf.dispose([q, k, v, i, f, ...(Object.values(x) as tf.Tensor[])]);
});
