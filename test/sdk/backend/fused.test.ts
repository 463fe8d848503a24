// The fused kernels (sdk/backend/fused, SIMD code in sdk/backend/simd) against the composites they
// replace, run by the cpu backend: forward values and gradients, sizes that leave a tail after the
// 4-lane loops, extreme and special values, ignored and out-of-range targets, several AdamW steps;
// each leaves the tensor count as it found it. Own process: wasm, one thread.

import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { use } from "../../../sdk/backend/index.js";
import { crossEntropyFused, rmsNormFused, ropeFused, setFused, swigluFused } from "../../../sdk/backend/fused/index.js";
import { applyRope, ropeCosSin, ropeInvFreq } from "../../../sdk/nn/rope.js";
import { rmsNorm } from "../../../sdk/nn/rmsnorm.js";
import { causalLmLoss } from "../../../sdk/train/loss.js";
import { AdamW } from "../../../sdk/train/adamw.js";
import "../../../sdk/nn/gradients.js";

before(async () => {
  await use("wasm", { threads: 1 });
});

type Arrays = Float32Array[];

/** Runs f on cpu (the composites) and on wasm (the fused kernels), on the same inputs; returns both outputs' data. */
async function both(make: () => tf.Tensor[], f: (...xs: tf.Tensor[]) => tf.Tensor[]): Promise<{ wasm: Arrays; cpu: Arrays }> {
  const out: Record<string, Arrays> = {};
  for (const name of ["cpu", "wasm"]) {
    await tf.setBackend(name);
    const n0 = tf.memory().numTensors;
    const xs = tf.tidy(make);
    const ys = tf.tidy(() => f(...xs));
    out[name] = ys.map((y) => y.dataSync() as Float32Array);
    tf.dispose([...xs, ...ys]);
    assert.equal(tf.memory().numTensors, n0, `${name}: tensors left behind`);
  }
  assert.equal(tf.getBackend(), "wasm");
  return { wasm: out.wasm!, cpu: out.cpu! };
}

/** max |a - b| <= tol * max(|b|, 1e-6), output by output. */
function close(r: { wasm: Arrays; cpu: Arrays }, tol: number, what: string): void {
  r.cpu.forEach((want, k) => {
    const got = r.wasm[k]!;
    assert.equal(got.length, want.length, what);
    let scale = 1e-6,
      err = 0;
    for (let i = 0; i < want.length; i++) {
      scale = Math.max(scale, Math.abs(want[i]!));
      err = Math.max(err, Math.abs(got[i]! - want[i]!));
    }
    assert.ok(err / scale <= tol, `${what}, output ${k}: max |fused - composite| = ${err} (scale ${scale})`);
  });
}

const rnd = (shape: number[], seed: number, std = 1) => tf.randomNormal(shape, 0, std, "float32", seed);

/** y = f(xs) and the gradients of sum(y * dy) with respect to every x, for a fixed random dy. */
function withGrads(f: (...xs: tf.Tensor[]) => tf.Tensor, seed: number): (...xs: tf.Tensor[]) => tf.Tensor[] {
  return (...xs) => {
    const y = f(...xs);
    const dy = rnd(y.shape, seed);
    const g = tf.grads((...a: tf.Tensor[]) => tf.sum(tf.mul(f(...a), dy)))(xs);
    return [y, ...g];
  };
}

test("the fused kernels run on wasm and not on cpu; setFused(false) turns them off", async () => {
  const x = rnd([2, 8], 1),
    w = rnd([8], 2);
  const y = rmsNormFused(x, w as tf.Tensor1D, 1e-6);
  assert.ok(y, "fused on wasm");
  setFused(false);
  assert.equal(rmsNormFused(x, w as tf.Tensor1D, 1e-6), null, "off");
  setFused(true);
  await tf.setBackend("cpu");
  const xc = rnd([2, 8], 1),
    wc = rnd([8], 2);
  assert.equal(rmsNormFused(xc, wc as tf.Tensor1D, 1e-6), null, "no fused kernel on cpu");
  tf.dispose([xc, wc]);
  await tf.setBackend("wasm");
  tf.dispose([x, w, y!]);
});

test("RMSNorm: values and gradients of x and weight match the composite (rows of 7: a tail; rows of 256)", async () => {
  for (const [shape, seed] of [
    [[3, 5, 7], 10],
    [[4, 256], 11],
  ] as [number[], number][]) {
    const C = shape.at(-1)!;
    const r = await both(
      () => [rnd(shape, seed, 3), tf.add(1, rnd([C], seed + 1, 0.5))],
      withGrads((x, w) => rmsNorm(x!, w as tf.Tensor1D, 1e-5), seed + 2),
    );
    close(r, 1e-5, `rmsNorm [${shape}]`);
  }
});

test("SwiGLU's gate: values and gradients match the composite, across the exponential's range", async () => {
  const swiglu = (g: tf.Tensor, u: tf.Tensor) => swigluFused(g, u) ?? tf.mul(tf.mul(g, tf.sigmoid(g)), u);
  const r = await both(() => [rnd([3, 5, 9], 20, 6), rnd([3, 5, 9], 21)], withGrads(swiglu, 22));
  close(r, 2e-6, "swiglu [3,5,9]");
  // extremes against float64: silu(g) = g / (1 + e^-g), and NaN stays NaN
  const gs = [-100, -88.5, -87, -30, -1, -1e-3, 0, 1e-3, 1, 30, 87, 88.5, 100];
  const y = tf.tidy(() => swiglu(tf.tensor1d([...gs, Number.NaN]), tf.ones([gs.length + 1]))).dataSync();
  gs.forEach((g, i) => {
    const want = g / (1 + Math.exp(-g));
    assert.ok(Math.abs(y[i]! - want) <= 1e-6 * Math.max(1, Math.abs(want)), `silu(${g}) = ${y[i]}, want ${want}`);
  });
  assert.ok(Number.isNaN(y[gs.length]!), "silu(NaN) is NaN");
});

test("RoPE: values and gradients of x, cos and sin match the composite (head dims 6, a tail, and 16)", async () => {
  for (const [D, seed] of [
    [6, 30],
    [16, 31],
  ] as [number, number][]) {
    const [B, H, T] = [2, 3, 5];
    const r = await both(
      () => {
        const pos = tf.tensor2d(
          Array.from({ length: B }, (_, b) => Array.from({ length: T }, (_, t) => t + 3 * b)),
          [B, T],
          "int32",
        );
        const { cos, sin } = ropeCosSin(pos, ropeInvFreq(D, 10000));
        pos.dispose();
        return [rnd([B, H, T, D], seed), cos, sin];
      },
      withGrads((x, c, s) => applyRope(x as tf.Tensor4D, c as tf.Tensor3D, s as tf.Tensor3D), seed + 1),
    );
    close(r, 1e-5, `rope D=${D}`);
  }
  // the fused path only takes cos/sin of the exact shape [B, T, D]
  const x = rnd([1, 2, 3, 4], 1);
  assert.equal(ropeFused(x as tf.Tensor4D, tf.ones([1, 1, 4]) as tf.Tensor3D, tf.ones([1, 3, 4]) as tf.Tensor3D), null);
  x.dispose();
});

test("Softmax's gradient (last axis, one kernel on wasm) matches tfjs's composite gradient", async () => {
  const r = await both(
    () => [rnd([2, 3, 5, 7], 40, 3)],
    withGrads((x) => tf.softmax(x!), 41),
  );
  close(r, 1e-5, "softmax");
});

test("causalLmLoss: the loss and its gradient match the composite, with ignored (-100) labels; out-of-range labels are refused", async () => {
  const [B, T, V] = [3, 6, 11];
  const labels = [
    [1, 4, 10, 0, 3, 2],
    [5, -100, -100, 7, 9, 1],
    [2, 2, V - 1, 6, -100, 8],
  ];
  const logits = rnd([B, T, V], 50, 4) as tf.Tensor3D;
  const bad = labels.map((r) => [...r]);
  bad[2][2] = V + 3; // would select nothing, as a one-hot row of zeros does: refused instead
  assert.throws(() => causalLmLoss(logits, bad), /labels\[2\]\[2\] = 14: expected an integer in \[0, 10\] or -100/);
  logits.dispose();
  const r = await both(
    () => [rnd([B, T, V], 50, 4)],
    withGrads((l) => causalLmLoss(l as tf.Tensor3D, labels), 51),
  );
  close(r, 1e-5, "causalLmLoss");
  // the gradient with respect to the weights (by the composite: weights are constants in a model)
  const rw = await both(
    () => [rnd([4, 5], 52), tf.tensor1d([1, 0, 0.5, 2])],
    (l, w) => {
      const t = tf.tensor1d([0, 4, 2, 9], "int32");
      const f = (ll: tf.Tensor, ww: tf.Tensor) =>
        crossEntropyFused(ll as tf.Tensor2D, t, ww as tf.Tensor1D, 3) ??
        tf.div(tf.neg(tf.sum(tf.mul(tf.sum(tf.mul(tf.logSoftmax(ll), tf.oneHot(t, 5)), -1), ww))), 3);
      return [f(l!, w!), ...tf.grads(f)([l!, w!])];
    },
  );
  close(rw, 1e-5, "cross-entropy with weights");
});

test("AdamW: three steps with weight decay give the same parameters and moments as the composite", async () => {
  const run = () => {
    const p = tf.variable(rnd([7, 5], 60)),
      q = tf.variable(rnd([3], 61));
    const params = new Map([
      ["p", p],
      ["q", q],
    ]);
    const opt = new AdamW({ beta1: 0.9, beta2: 0.95, eps: 1e-6 });
    for (let s = 0; s < 3; s++) {
      const grads = new Map([
        ["p", rnd([7, 5], 62 + s)],
        ["q", rnd([3], 70 + s, 1e-3)],
      ]);
      opt.apply(params, grads, (n) => ({ lr: 0.05, weightDecay: n === "p" ? 0.1 : 0 }));
      tf.dispose([...grads.values()]);
    }
    const out = [p, q, opt.m.get("p")!, opt.v.get("p")!, opt.m.get("q")!, opt.v.get("q")!].map((t) => tf.clone(t));
    opt.dispose();
    tf.dispose([p, q]);
    return out;
  };
  close(await both(() => [], run), 1e-5, "AdamW");
});
