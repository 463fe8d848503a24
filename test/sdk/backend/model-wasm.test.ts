// The PyTorch reference fixtures of test/sdk/models on wasm with everything sdk/backend adds:
// matrix products by OpenBLAS where it is installed (by XNNPACK with STILLROOM_BLAS=off: npm test
// runs this file both ways), the fused kernels (RMSNorm, RoPE, SwiGLU, Softmax's gradient, the
// cross-entropy, AdamW) and the rest. Logits (plain, left-padded, offset positions), loss and
// gradients, and training steps that lower the loss and leak nothing. Own process.

import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { info, use } from "../../../sdk/backend/index.js";
import { crossEntropyFused } from "../../../sdk/backend/fused/index.js";
import { registerGradients } from "../../../sdk/nn/gradients.js";
import { load } from "../../../sdk/models/index.js";
import { AdamW } from "../../../sdk/train/adamw.js";
import { causalLmLoss } from "../../../sdk/train/loss.js";
import { FAMILIES, crossEntropy, expectReferenceNumbers, fixtureDir, maxAbs, maxAbsDiff, readReference } from "../models/helpers.js";

const TOL = 1e-4; // as test/sdk/models/reference.test.ts: logits max abs, gradients relative to the largest entry

before(async () => {
  registerGradients();
  const i = await use("wasm");
  const off = ["off", "0"].includes(process.env.STILLROOM_BLAS ?? "");
  assert.equal(i.math.startsWith("OpenBLAS"), !off, `math library ${i.math} (STILLROOM_BLAS=${process.env.STILLROOM_BLAS ?? ""})`);
});

for (const family of FAMILIES) {
  test(`${family}: logits and gradients on wasm (${process.env.STILLROOM_BLAS === "off" ? "XNNPACK" : "OpenBLAS"})`, async () => {
    assert.equal(tf.getBackend(), "wasm");
    (await expectReferenceNumbers(family)).dispose();
  });

  test(`${family}: left-padded and offset-position logits, and the fused cross-entropy's loss and gradients`, async () => {
    const model = await load(fixtureDir(family));
    const ref = await readReference(family);
    const [B, T, V] = ref.shape as [number, number, number];
    const masked = model.logits(ref.ids, { attentionMask: ref.attentionMask });
    const got = masked.dataSync();
    masked.dispose();
    let err = 0;
    for (let b = 0; b < B; b++)
      for (let i = 0; i < T; i++) {
        if (!ref.attentionMask[b]![i]) continue;
        const o = (b * T + i) * V;
        err = Math.max(err, maxAbsDiff(got.subarray(o, o + V), ref.logitsMasked.subarray(o, o + V)));
      }
    assert.ok(err <= TOL, `masked logits: max abs error ${err}`);
    const pos = model.logits(ref.ids, { positionIds: ref.positionIds });
    const errPos = maxAbsDiff(pos.dataSync(), ref.logitsPos);
    pos.dispose();
    assert.ok(errPos <= TOL, `offset positions: max abs error ${errPos}`);

    const names = [...ref.grads.keys()];
    const vars = names.map((n) => model.parameters().get(n)!);
    const before = tf.memory().numTensors;
    const { value, grads } = tf.variableGrads(() => {
      const flat = tf.reshape(model.logits(ref.ids), [B * T, V]) as tf.Tensor2D; // [B*T, V]
      const loss = crossEntropyFused(flat, tf.tensor1d(ref.targets.flat(), "int32"), tf.ones([B * T]) as tf.Tensor1D, B * T);
      assert.ok(loss, "the fused cross-entropy runs on wasm");
      return loss;
    }, vars);
    assert.ok(Math.abs(value.dataSync()[0]! - ref.loss) <= TOL, `loss ${value.dataSync()[0]} vs ${ref.loss}`);
    names.forEach((n, i) => {
      const want = ref.grads.get(n)!;
      const rel = maxAbsDiff(grads[vars[i]!.name]!.dataSync(), want) / maxAbs(want);
      assert.ok(rel <= TOL, `${family} gradient of ${n}: relative error ${rel}`);
    });
    tf.dispose([value, grads]);
    assert.equal(tf.memory().numTensors, before);
    model.dispose();
  });
}

test("training steps on wasm (sr's AdamW and causalLmLoss; tfjs's Adam) lower the loss and leak nothing", async () => {
  const ref = await readReference("llama");
  for (const optimizer of ["sr.train.AdamW", "tf.train.adam"]) {
    const model = await load(fixtureDir("llama"));
    const params = model.parameters();
    const vars = [...params.values()];
    const nameOf = new Map([...params].map(([n, v]) => [v.name, n]));
    const adamw = new AdamW();
    const adam = tf.train.adam(1e-2);
    const step = () => {
      const { value, grads } = tf.variableGrads(
        () =>
          optimizer === "tf.train.adam" ? crossEntropy(model.logits(ref.ids), ref.targets) : causalLmLoss(model.logits(ref.ids), ref.ids),
        vars,
      );
      if (optimizer === "tf.train.adam") adam.applyGradients(grads as Parameters<typeof adam.applyGradients>[0]);
      else
        adamw.apply(params, new Map(Object.entries(grads).map(([n, g]) => [nameOf.get(n)!, g])), () => ({ lr: 1e-2, weightDecay: 0.01 }));
      tf.dispose(Object.values(grads));
      const v = value.dataSync()[0]!;
      value.dispose();
      return v;
    };
    const first = step();
    const tensors = tf.memory().numTensors;
    step();
    assert.equal(tf.memory().numTensors, tensors, `${optimizer}: tensors per step`);
    const last = step();
    assert.ok(last < first, `${optimizer}: loss ${first} -> ${last}`);
    adamw.dispose();
    adam.dispose();
    model.dispose();
  }
  assert.equal(info().name, "wasm");
});
