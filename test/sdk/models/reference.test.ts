// Golden tests against the independent PyTorch reference (tools/reference/families.py):
// logits (plain, left-padded, offset positions) and gradients of a cross-entropy loss.

import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { load } from "../../../sdk/models/index.js";
import { FAMILIES, crossEntropy, fixtureDir, maxAbs, maxAbsDiff, readReference, useCpu } from "./helpers.js";

before(useCpu);

const LOGITS_TOL = 1e-4; // max abs error
const GRAD_TOL = 1e-4; // max abs error relative to the largest reference entry

for (const family of FAMILIES) {
  test(`${family}: logits match the PyTorch reference`, async (t) => {
    const model = await load(fixtureDir(family));
    const ref = await readReference(family);
    const logits = model.logits(ref.ids);
    assert.deepEqual(logits.shape, ref.shape);
    const err = maxAbsDiff(logits.dataSync(), ref.logits);
    logits.dispose();
    t.diagnostic(`${family} logits max abs err ${err.toExponential(2)} (|ref| max ${maxAbs(ref.logits).toFixed(2)})`);
    assert.ok(err <= LOGITS_TOL, `max abs error ${err}`);
    model.dispose();
  });

  test(`${family}: left-padded logits match at real tokens, offset positions match`, async (t) => {
    const model = await load(fixtureDir(family));
    const ref = await readReference(family);
    const [B, T, V] = ref.shape;
    const masked = model.logits(ref.ids, { attentionMask: ref.attentionMask });
    const got = masked.dataSync();
    masked.dispose();
    let err = 0;
    for (let b = 0; b < B; b++)
      for (let i = 0; i < T; i++) {
        if (!ref.attentionMask[b][i]) continue;
        const o = (b * T + i) * V;
        err = Math.max(err, maxAbsDiff(got.subarray(o, o + V), ref.logitsMasked.subarray(o, o + V)));
      }
    const pos = model.logits(ref.ids, { positionIds: ref.positionIds });
    const errPos = maxAbsDiff(pos.dataSync(), ref.logitsPos);
    pos.dispose();
    t.diagnostic(`${family} masked err ${err.toExponential(2)}, positions+100 err ${errPos.toExponential(2)}`);
    assert.ok(err <= LOGITS_TOL, `masked max abs error ${err}`);
    assert.ok(errPos <= LOGITS_TOL, `offset-position max abs error ${errPos}`);
    model.dispose();
  });

  test(`${family}: loss and gradients match the PyTorch reference`, async (t) => {
    const model = await load(fixtureDir(family));
    const ref = await readReference(family);
    const params = model.parameters();
    const names = [...ref.grads.keys()];
    const vars = names.map((n) => {
      const v = params.get(n);
      assert.ok(v, `parameter ${n}`);
      return v;
    });
    const before = tf.memory().numTensors;
    const { value, grads } = tf.variableGrads(() => crossEntropy(model.logits(ref.ids), ref.targets), vars);
    const lossErr = Math.abs(value.dataSync()[0] - ref.loss);
    value.dispose();
    assert.ok(lossErr <= 1e-4, `loss error ${lossErr}`);
    for (const n of names) {
      const g = grads[vars[names.indexOf(n)].name].dataSync();
      const want = ref.grads.get(n)!;
      const rel = maxAbsDiff(g, want) / maxAbs(want);
      t.diagnostic(`${family} grad ${n}: max abs err / max |ref| = ${rel.toExponential(2)}`);
      assert.ok(rel <= GRAD_TOL, `${n}: relative gradient error ${rel}`);
    }
    tf.dispose(grads);
    assert.equal(tf.memory().numTensors, before);
    model.dispose();
  });
}
