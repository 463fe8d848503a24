// The hybrid attention sketch: the output-gate mix against its formula; decoding token by token
// (from nothing, and after a chunkwise prefill) against the full-sequence form, with grouped kv
// heads; gradients reach every input and both feature maps.

import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import {
  type HybridInputs,
  type HybridOptions,
  type HybridState,
  hybridAttention,
  hybridAttentionStep,
  outputGateMix,
} from "../../../sdk/xlstm/index.js";
import { expectClose, maxAbs, rng, useWasm } from "./helpers.js";

before(useWasm);

test("outputGateMix is sigmoid(o) * mlstm + (1 - sigmoid(o)) * swa, per head and token", (t) => {
  const r = rng(1);
  const [B, H, S, D] = [2, 3, 4, 5];
  const o = r.normals(B * H * S, 3);
  const a = r.normals(B * H * S * D);
  const b = r.normals(B * H * S * D);
  const want = Array.from({ length: a.length }, (_, j) => {
    const g = 1 / (1 + Math.exp(-o[Math.floor(j / D)]!));
    return g * a[j]! + (1 - g) * b[j]!;
  });
  tf.tidy(() => {
    const got = outputGateMix(tf.tensor3d(o, [B, H, S]), tf.tensor4d(a, [B, H, S, D]), tf.tensor4d(b, [B, H, S, D]));
    expectClose(t, "mix", got.dataSync(), want, 1e-6, 1e-5);
    // one token: [B, H] gates, [B, H, D] branches
    const one = outputGateMix(
      tf.tensor2d(o.slice(0, B * H), [B, H]),
      tf.tensor3d(a.slice(0, B * H * D), [B, H, D]),
      tf.tensor3d(b.slice(0, B * H * D), [B, H, D]),
    );
    assert.deepEqual(one.shape, [B, H, D]);
  });
});

function inputs(B: number, H: number, Hkv: number, S: number, D: number, seed: number): HybridInputs {
  const r = rng(seed);
  return {
    q: tf.tensor4d(r.normals(B * H * S * D), [B, H, S, D]),
    k: tf.tensor4d(r.normals(B * Hkv * S * D), [B, Hkv, S, D]),
    v: tf.tensor4d(r.normals(B * Hkv * S * D), [B, Hkv, S, D]),
    iPre: tf.tensor3d(r.normals(B * H * S), [B, H, S]),
    fPre: tf.tensor3d(r.normals(B * H * S, 1, 3), [B, H, S]),
    oPre: tf.tensor3d(r.normals(B * H * S), [B, H, S]),
  };
}

const token = (x: HybridInputs, s: number): HybridInputs<false> =>
  tf.tidy(() => {
    const at4 = (a: tf.Tensor4D) => tf.squeeze(tf.slice(a, [0, 0, s, 0], [a.shape[0], a.shape[1], 1, a.shape[3]]), [2]) as tf.Tensor3D;
    const at3 = (a: tf.Tensor3D) => tf.squeeze(tf.slice(a, [0, 0, s], [a.shape[0], a.shape[1], 1]), [2]) as tf.Tensor2D;
    return { q: at4(x.q), k: at4(x.k), v: at4(x.v), iPre: at3(x.iPre), fPre: at3(x.fPre), oPre: at3(x.oPre) };
  });

const prefix = (x: HybridInputs, n: number): HybridInputs =>
  tf.tidy(() => {
    const cut = <T extends tf.Tensor>(a: T) =>
      tf.slice(
        a,
        a.shape.map(() => 0),
        a.shape.map((d, i) => (i === 2 ? n : d)),
      ) as T;
    return { q: cut(x.q), k: cut(x.k), v: cut(x.v), iPre: cut(x.iPre), fPre: cut(x.fPre), oPre: cut(x.oPre) };
  });

for (const featureMap of ["hedgehog", "lolcats"] as const) {
  test(`${featureMap}: decoding token by token equals the full sequence, from nothing and after a chunkwise prefill`, (t) => {
    const [B, H, Hkv, S, D, F] = [2, 4, 2, 40, 8, 6];
    const x = inputs(B, H, Hkv, S, D, 7);
    const r = rng(8);
    const w = { featureQ: tf.tensor3d(r.normals(H * D * F, 0.5), [H, D, F]), featureK: tf.tensor3d(r.normals(H * D * F, 0.5), [H, D, F]) };
    const opts: HybridOptions = { window: 6, sinks: 2, chunkSize: 8, featureMap };
    const full = hybridAttention(x, w, opts); // [B, H, S, D]
    const fullData = full.dataSync();
    const expectDecoded = (label: string, from: number, rows: Float32Array[]) => {
      const want: number[] = [];
      for (let s = from; s < S; s++)
        for (let bh = 0; bh < B * H; bh++) for (let d = 0; d < D; d++) want.push(fullData[(bh * S + s) * D + d]!);
      expectClose(
        t,
        label,
        rows.flatMap((a) => Array.from(a)),
        want,
        1e-5,
        1e-4,
      );
    };
    for (const P of [0, 13]) {
      const before = tf.memory().numTensors;
      let state: HybridState | null = null;
      if (P > 0) {
        const px = prefix(x, P);
        const pre = hybridAttention(px, w, { ...opts, returnState: true });
        state = pre.state;
        pre.h.dispose();
        tf.dispose(px as unknown as tf.Tensor[]);
      }
      const rows: Float32Array[] = [];
      for (let s = P; s < S; s++) {
        const one = token(x, s);
        const step = hybridAttentionStep(state, one, w, opts);
        if (state) tf.dispose(state);
        state = step.state;
        rows.push(step.h.dataSync() as Float32Array);
        tf.dispose([step.h, ...(Object.values(one) as tf.Tensor[])]);
        const keys = state.window.sinkK.shape[2] + state.window.windowK.shape[2];
        assert.ok(keys <= opts.sinks + opts.window, `cache of ${keys} keys`);
      }
      tf.dispose(state!);
      assert.equal(tf.memory().numTensors, before, "decoding leaks nothing");
      expectDecoded(`${featureMap}, prompt of ${P}, then decode`, P, rows);
    }
    tf.dispose([full, w.featureQ, w.featureK, ...(Object.values(x) as tf.Tensor[])]);
  });
}

test("gradients reach every input and both feature maps", () => {
  const [B, H, Hkv, S, D, F] = [1, 2, 1, 20, 4, 3];
  const x = inputs(B, H, Hkv, S, D, 9);
  const r = rng(10);
  const wq = tf.tensor3d(r.normals(H * D * F), [H, D, F]);
  const wk = tf.tensor3d(r.normals(H * D * F), [H, D, F]);
  const R = tf.tensor4d(r.normals(B * H * S * D), [B, H, S, D]);
  const before = tf.memory().numTensors;
  const grads = tf.grads((q, k, v, i, f, o, a, b) =>
    tf.sum(
      tf.mul(
        hybridAttention(
          {
            q: q as tf.Tensor4D,
            k: k as tf.Tensor4D,
            v: v as tf.Tensor4D,
            iPre: i as tf.Tensor3D,
            fPre: f as tf.Tensor3D,
            oPre: o as tf.Tensor3D,
          },
          { featureQ: a as tf.Tensor3D, featureK: b as tf.Tensor3D },
          { window: 5, sinks: 1, chunkSize: 8 },
        ),
        R,
      ),
    ),
  )([x.q, x.k, x.v, x.iPre, x.fPre, x.oPre, wq, wk]);
  for (const [j, g] of grads.entries()) {
    const a = g.dataSync();
    assert.ok(a.every(Number.isFinite), `gradient ${j} is finite`);
    assert.ok(maxAbs(a) > 0, `gradient ${j} is not zero`);
  }
  tf.dispose(grads);
  assert.equal(tf.memory().numTensors, before);
});
