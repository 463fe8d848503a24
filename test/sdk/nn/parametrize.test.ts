import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { create, type Model } from "../../../sdk/models/index.js";
import type { Module } from "../../../sdk/nn/module.js";
import { isTraining } from "../../../sdk/nn/mode.js";
import { parametrizations, parametrize, unparametrize, type Parametrization } from "../../../sdk/nn/parametrize.js";
import { fit } from "../../../sdk/train/fit.js";
import { maxAbs, maxAbsDiff, tempDir, useCpu } from "../models/helpers.js";

before(useCpu);

const CFG = { family: "llama" as const, vocabSize: 30, dModel: 16, nLayers: 2, nHeads: 2, dFf: 24 };
const IDS = [
  [1, 2, 3, 4, 5, 6],
  [9, 8, 7, 6, 5, 4],
];

/** W + m * w: a fixed 0/1 mask m and a trainable diff w (DiffPrune's form with z fixed). */
class MaskedDiff implements Parametrization {
  readonly w: tf.Variable;
  readonly mask: tf.Tensor;
  calls = 0;
  constructor(shape: number[], seed: number) {
    this.w = tf.variable(tf.randomNormal(shape, 0, 0.1, "float32", seed));
    this.mask = tf.cast(tf.greater(tf.randomUniform(shape, 0, 1, "float32", seed + 1), 0.5), "float32");
  }
  forward(W: tf.Tensor): tf.Tensor {
    this.calls++;
    return tf.add(W, tf.mul(this.mask, this.w));
  }
  *namedParameters(): Iterable<[string, tf.Variable]> {
    yield ["diff", this.w];
  }
}

const logitsOf = (m: Model) => tf.tidy(() => m.logits(IDS).dataSync() as Float32Array);
const loss = (m: Model) => tf.mean(tf.square(m.logits(IDS))) as tf.Scalar;

/** A copy of `m` whose weight `name` holds `value` outright. */
function copyWith(m: Model, name: string, value: tf.Tensor): Model {
  const c = create(m.config);
  c.loadWeights(m, { strict: false }); // all but the parametrisation's own tensors
  c.parameters().get(name)!.assign(value);
  return c;
}

test("parametrise, then remove: the forward reads P(W), and removing gives back the base bit for bit", () => {
  const m = create(CFG, { seed: 1 });
  const name = "model.layers.1.mlp.up_proj.weight";
  const W = m.parameters().get(name)!;
  const stored = W.dataSync().slice();
  const before = logitsOf(m);
  const p = new MaskedDiff(W.shape, 4);
  assert.deepEqual(m.parametrize(name, p), [name]);
  assert.ok(m.parameters().has("model.layers.1.mlp.up_proj.parametrizations.weight.diff"));
  assert.ok(m.module("model.layers.1.mlp.up_proj.parametrizations.weight") === p);
  const withP = logitsOf(m);
  const ref = copyWith(
    m,
    name,
    tf.tidy(() => p.forward(W)),
  );
  assert.deepEqual(withP, logitsOf(ref), "same as a model that stores W + m * w outright");
  assert.ok(maxAbsDiff(withP, before) > 1e-4, "the parametrisation changes the output");
  assert.deepEqual(W.dataSync(), stored, "W itself is untouched");
  const removed = m.unparametrize(name);
  assert.equal(removed, p);
  assert.deepEqual(logitsOf(m), before, "bit for bit after removal");
  assert.equal(parametrizations(m).size, 0);
  assert.ok(!m.parameters().has("model.layers.1.mlp.up_proj.parametrizations.weight.diff"));
  assert.throws(() => m.module("model.layers.1.mlp.up_proj.parametrizations"), /no module/);
  for (const x of [m, ref]) x.dispose();
  tf.dispose([p.w, p.mask]);
});

test("gradients reach the parametrisation's tensors: dL/dw = m * dL/dW' (chain rule against an unparametrised copy)", () => {
  const m = create(CFG, { seed: 2 });
  const name = "model.layers.0.self_attn.v_proj.weight";
  const W = m.parameters().get(name)!;
  const p = new MaskedDiff(W.shape, 9);
  m.parametrize(name, p);
  m.freeze(/^(model|lm_head)\.(?!.*parametrizations)/); // the base frozen, the diff trainable
  assert.equal(W.trainable, false);
  const { grads } = tf.variableGrads(() => loss(m));
  assert.deepEqual(Object.keys(grads), [p.w.name], "only the diff gets a gradient");
  const ref = copyWith(
    m,
    name,
    tf.tidy(() => p.forward(W)),
  );
  const refW = ref.parameters().get(name)!;
  const g = tf.variableGrads(() => loss(ref), [refW]).grads[refW.name];
  const want = tf.mul(p.mask, g);
  const got = grads[p.w.name];
  const scale = maxAbs(want.dataSync());
  assert.ok(scale > 0);
  assert.ok(maxAbsDiff(got.dataSync(), want.dataSync()) <= 1e-5 * scale, "dL/dw matches m * dL/dW'");
  tf.dispose([g, want, got]);
  for (const x of [m, ref]) x.dispose();
  tf.dispose(p.mask);
});

test("fit with the base frozen trains only the diff; the base stays bit for bit; merge writes P(W) into W", async () => {
  const m = create(CFG, { seed: 3 });
  const name = "model.layers.1.self_attn.o_proj.weight";
  m.freeze();
  const W = m.parameters().get(name)!;
  const stored = W.dataSync().slice();
  const p = new MaskedDiff(W.shape, 12);
  m.parametrize(name, p);
  const w0 = p.w.dataSync().slice();
  const snapshot = new Map([...m.parameters()].map(([n, v]) => [n, v.dataSync().slice()]));
  await fit(m, [{ ids: IDS }], { steps: 3, lr: 1e-2, quiet: true });
  for (const [n, v] of m.parameters()) {
    const changed = maxAbsDiff(v.dataSync(), snapshot.get(n)!) > 0;
    assert.equal(changed, n.endsWith("parametrizations.weight.diff"), n);
  }
  assert.ok(maxAbsDiff(p.w.dataSync(), w0) > 0);
  assert.deepEqual(W.dataSync(), stored);
  const trained = logitsOf(m);
  const effective = tf.tidy(() => p.forward(W).dataSync().slice());
  m.unparametrize(name, { merge: true });
  assert.deepEqual(W.dataSync(), effective, "merge stores P(W)");
  assert.deepEqual(logitsOf(m), trained, "and the forward is unchanged by merging");
  m.dispose();
  tf.dispose([p.w, p.mask]);
});

test("tied weights are parametrised together: the embedding and the head both read P(W)", () => {
  const m = create({ ...CFG, tieEmbeddings: true }, { seed: 4 });
  const W = m.parameters().get("model.embed_tokens.weight")!;
  const p = new MaskedDiff(W.shape, 20);
  assert.deepEqual(parametrize(m, "lm_head.weight", p), ["model.embed_tokens.weight", "lm_head.weight"]);
  assert.deepEqual([...parametrizations(m).keys()], ["model.embed_tokens.weight", "lm_head.weight"]);
  p.calls = 0;
  const got = logitsOf(m);
  assert.equal(p.calls, 2, "read once by the embedding, once by the head");
  const ref = copyWith(
    m,
    "model.embed_tokens.weight",
    tf.tidy(() => p.forward(W)),
  );
  assert.deepEqual(got, logitsOf(ref));
  assert.equal([...m.parameters().keys()].filter((n) => n.endsWith(".diff")).length, 1, "the diff is listed once");
  unparametrize(m, "model.embed_tokens.weight");
  assert.equal(parametrizations(m).size, 0, "removed under both names");
  for (const x of [m, ref]) x.dispose();
  tf.dispose([p.w, p.mask]);
});

test("norm gains can be parametrised; the parametrisation reads the mode of the forward", () => {
  const m = create(CFG, { seed: 5 });
  const modes: boolean[] = [];
  const p: Parametrization = {
    forward(W: tf.Tensor) {
      modes.push(isTraining());
      return tf.mul(W, 2);
    },
  };
  m.parametrize("model.norm.weight", p);
  modes.length = 0; // parametrize tried p once, in evaluation mode, to check the shape
  m.logits(IDS).dispose();
  m.train();
  m.logits(IDS).dispose();
  m.eval();
  m.logits(IDS, { training: true }).dispose();
  assert.deepEqual(modes, [false, true, true]);
  m.unparametrize("model.norm.weight");
  m.dispose();
});

test("refusals: an unknown name lists the parameters; a second parametrisation; a change of shape", () => {
  const m = create(CFG, { seed: 6 });
  const p = new MaskedDiff([24, 16], 1);
  assert.throws(
    () => m.parametrize("model.layers.0.mlp.up_proj", p),
    /no parameter "model\.layers\.0\.mlp\.up_proj"\. The parameters are:\n.*model\.layers\.\{0\.\.1\}\.mlp\.up_proj\.weight/s,
  );
  m.parametrize("model.layers.0.mlp.up_proj.weight", p);
  assert.throws(
    () => m.parametrize("model.layers.0.mlp.up_proj.weight", new MaskedDiff([24, 16], 2)),
    /model\.layers\.0\.mlp\.up_proj\.weight is already parametrised by MaskedDiff; unparametrize it first/,
  );
  const squash: Parametrization = { forward: (W: tf.Tensor) => tf.sum(W, 0) };
  assert.throws(() => m.parametrize("model.layers.0.mlp.gate_proj.weight", squash), /maps \[24,16\] to \[16\]; it must keep the shape/);
  assert.throws(() => m.unparametrize("model.layers.0.mlp.gate_proj.weight"), /the weight is not parametrised/);
  assert.throws(() => m.parametrize("model.norm.weight", {} as Module as Parametrization), /has no forward\(\) method/);
  m.dispose();
});

test("save refuses a parametrised model, naming the weight and the way out; after merging it saves", async (t) => {
  const dir = await tempDir(t);
  const m = create(CFG, { seed: 7 });
  const name = "model.layers.0.mlp.down_proj.weight";
  const p = new MaskedDiff([16, 24], 3);
  m.parametrize(name, p);
  await assert.rejects(
    m.save(dir),
    /save: model\.layers\.0\.mlp\.down_proj\.weight is parametrised by MaskedDiff; .*model\.unparametrize\("model\.layers\.0\.mlp\.down_proj\.weight", \{merge: true\}\)/,
  );
  m.unparametrize(name, { merge: true });
  await m.save(dir);
  m.dispose();
  tf.dispose([p.w, p.mask]);
});
