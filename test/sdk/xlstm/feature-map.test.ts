// The per-head feature maps against a float64 reference: Hedgehog softmax(x W_h) and LoLCATs'
// [softmax(x W_h), softmax(-x W_h)], with a bias, for a sequence and for one token; gradients with
// respect to the weights against finite differences.

import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { featureDim, featureMap, type FeatureMapKind } from "../../../sdk/xlstm/index.js";
import { closeness, expectClose, maxAbs, rng, useWasm } from "./helpers.js";

before(useWasm);

/** phi(x)[b, h, s] in float64 for x [B, H, S, D], W [H, D, F], bias [H, F]. */
function reference(
  x: ArrayLike<number>,
  w: ArrayLike<number>,
  bias: ArrayLike<number> | null,
  [B, H, S, D, F]: number[],
  kind: FeatureMapKind,
  clampMin = 1e-12,
): Float64Array {
  const Fo = kind === "lolcats" ? 2 * F : F;
  const out = new Float64Array(B! * H! * S! * Fo);
  const softmax = (z: number[]) => {
    const m = Math.max(...z);
    const e = z.map((a) => Math.exp(a - m));
    const sum = e.reduce((a, b) => a + b, 0);
    return e.map((a) => Math.max(a / sum, clampMin));
  };
  for (let b = 0; b < B!; b++)
    for (let h = 0; h < H!; h++)
      for (let s = 0; s < S!; s++) {
        const z = Array.from({ length: F! }, (_, f) => {
          let acc = bias ? bias[h * F! + f]! : 0;
          for (let d = 0; d < D!; d++) acc += x[((b * H! + h) * S! + s) * D! + d]! * w[(h * D! + d) * F! + f]!;
          return acc;
        });
        const phi = kind === "lolcats" ? [...softmax(z), ...softmax(z.map((a) => -a))] : softmax(z);
        out.set(phi, ((b * H! + h) * S! + s) * Fo);
      }
  return out;
}

const dims = [2, 3, 5, 4, 6]; // B, H, S, D, F

for (const kind of ["hedgehog", "lolcats"] as const) {
  test(`${kind} feature map equals the float64 reference, with and without a bias; one token alike`, (t) => {
    const [B, H, S, D, F] = dims as [number, number, number, number, number];
    const r = rng(kind === "hedgehog" ? 1 : 2);
    const x = r.normals(B * H * S * D, 2);
    const w = r.normals(H * D * F);
    const bias = r.normals(H * F);
    const xt = tf.tensor4d(x, [B, H, S, D]);
    const wt = tf.tensor3d(w, [H, D, F]);
    const bt = tf.tensor2d(bias, [H, F]);
    const before = tf.memory().numTensors;
    const phi = featureMap(xt, wt, { kind });
    assert.deepEqual(phi.shape, [B, H, S, featureDim(F, kind)]);
    expectClose(t, `${kind}`, phi.dataSync(), reference(x, w, null, dims, kind), 1e-6, 1e-5);
    const phiB = featureMap(xt, wt, { kind, bias: bt });
    expectClose(t, `${kind} with bias`, phiB.dataSync(), reference(x, w, bias, dims, kind), 1e-6, 1e-5);
    tf.tidy(() => {
      // each softmax sums to one
      const sums = tf.sum(phi, -1).dataSync();
      assert.ok(maxAbs(Array.from(sums, (s) => s - (kind === "lolcats" ? 2 : 1))) < 1e-5);
      // one token [B, H, D] gives the sequence's row
      const x0 = tf.reshape(tf.slice(xt, [0, 0, 2, 0], [B, H, 1, D]), [B, H, D]) as tf.Tensor3D;
      const phi0 = featureMap(x0, wt, { kind });
      assert.deepEqual(phi0.shape, [B, H, featureDim(F, kind)]);
      const row = tf.reshape(tf.slice(phi, [0, 0, 2, 0], [B, H, 1, featureDim(F, kind)]), [B, H, featureDim(F, kind)]);
      assert.ok(closeness(phi0.dataSync(), row.dataSync(), 1e-7, 0).worst <= 1);
    });
    tf.dispose([phi, phiB]);
    assert.equal(tf.memory().numTensors, before);
    tf.dispose([xt, wt, bt]);
  });
}

test("features are clamped from below (LoLCATs: 1e-12); clampMin 0 turns the clamp off", () => {
  const x = tf.tensor4d([[[[100, -100]]]]); // [1, 1, 1, 2]
  const w = tf.tensor3d([
    [
      [1, 0],
      [0, 1],
    ],
  ]); // [1, 2, 2] identity
  const clamped = featureMap(x, w).dataSync(); // softmax([100, -100]) = [1, e^-200]: the second underflows to 0
  assert.ok(Math.abs(clamped[1]! - 1e-12) < 1e-18, `clamped to 1e-12: ${clamped[1]}`);
  assert.equal(featureMap(x, w, { clampMin: 0 }).dataSync()[1], 0);
});

test("gradient with respect to the weights matches finite differences (lolcats, with bias)", (t) => {
  const [B, H, S, D, F] = [1, 2, 3, 3, 4];
  const r = rng(5);
  const x = r.normals(B * H * S * D);
  const w = r.normals(H * D * F);
  const bias = r.normals(H * F);
  const weights = r.normals(B * H * S * 2 * F);
  const loss = (ww: ArrayLike<number>) => reference(x, ww, bias, [B, H, S, D, F], "lolcats", 0).reduce((a, p, j) => a + p * weights[j]!, 0);
  const fd = Array.from({ length: w.length }, (_, j) => {
    const p = Float64Array.from(w);
    const m = Float64Array.from(w);
    p[j] += 1e-6;
    m[j] -= 1e-6;
    return (loss(p) - loss(m)) / 2e-6;
  });
  const xt = tf.tensor4d(x, [B, H, S, D]);
  const bt = tf.tensor2d(bias, [H, F]);
  const rt = tf.tensor4d(weights, [B, H, S, 2 * F]);
  const g = tf.grad((wt: tf.Tensor) => tf.sum(tf.mul(featureMap(xt, wt as tf.Tensor3D, { kind: "lolcats", bias: bt }), rt)))(
    tf.tensor3d(w, [H, D, F]),
  );
  expectClose(t, "d/dW", g.dataSync(), fd, 1e-5, 1e-4);
  tf.dispose([xt, bt, rt, g]);
});
