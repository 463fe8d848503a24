import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { join } from "node:path";
import { create, load, type Model } from "../../../sdk/models/index.js";
import { readSafetensors } from "../../../sdk/io/safetensors.js";
import type { Module } from "../../../sdk/nn/module.js";
import { isTraining } from "../../../sdk/nn/mode.js";
import { FAMILIES, fixtureDir, useCpu } from "./helpers.js";

before(useCpu);

const IDS = [
  [0, 0, 5, 6, 7, 8],
  [9, 10, 11, 12, 13, 14],
];
const MASK = [
  [0, 0, 1, 1, 1, 1],
  [1, 1, 1, 1, 1, 1],
];

for (const family of FAMILIES) {
  test(`${family}: hidden() is what lm_head reads; runAttention and runLayer reproduce the full forward`, async () => {
    const m = await load(fixtureDir(family));
    const h = m.hidden(IDS, { attentionMask: MASK });
    assert.deepEqual(h.shape, [2, 6, m.config.dModel]);
    const viaHead = tf.tidy(() => m.lm_head.forward(h));
    const logits = m.logits(IDS, { attentionMask: MASK });
    assert.deepEqual(viaHead.dataSync(), logits.dataSync());
    const before = tf.memory().numTensors;
    const cap = m.capture(IDS, /^model\.layers\.\d+(\.self_attn)?$/, { attentionMask: MASK });
    assert.deepEqual([...cap.keys()], ["model.layers.0", "model.layers.0.self_attn", "model.layers.1", "model.layers.1.self_attn"]);
    for (const i of [0, 1]) {
      const attn = cap.get(`model.layers.${i}.self_attn`)!;
      const y = m.runAttention(i, attn.input as tf.Tensor3D, { attentionMask: MASK });
      assert.deepEqual(y.dataSync(), attn.output.dataSync(), `layer ${i} attention alone = in the model`);
      const layer = cap.get(`model.layers.${i}`)!;
      const z = m.runLayer(i, layer.input as tf.Tensor3D, { attentionMask: MASK });
      assert.deepEqual(z.dataSync(), layer.output.dataSync(), `layer ${i} alone = in the model`);
      tf.dispose([y, z]);
    }
    tf.dispose([...cap.values()].flatMap((c) => [c.input, c.output]));
    assert.equal(tf.memory().numTensors, before, "capture and runAttention leave no tensors behind");
    assert.throws(() => m.runAttention(2, h), /runAttention: layer = 2: expected an integer in \[0, 1\]/);
    assert.throws(
      () => m.runLayer(0, tf.zeros([2, 6, 3]) as tf.Tensor3D),
      /runLayer: x\.shape = \[2,6,3\]: expected \[B, T, 32\] hidden states/,
    );
    assert.throws(() => m.capture(IDS, /nothing/), /capture: \/nothing\/ matches no module/);
    tf.dispose([h, viaHead, logits]);
    m.dispose();
  });
}

test("loadWeights copies by name; strict names what is missing or unknown; shapes must match", async () => {
  const tiny = { family: "llama" as const, vocabSize: 30, dModel: 16, nLayers: 2, nHeads: 2, dFf: 24 };
  const a = create(tiny, { seed: 1 });
  const b = create(tiny, { seed: 2 });
  const r = b.loadWeights(a);
  assert.equal(r.loaded.length, a.parameters().size);
  assert.deepEqual([r.missing, r.unexpected], [[], []]);
  const la = a.logits([[1, 2, 3]]);
  const lb = b.logits([[1, 2, 3]]);
  assert.deepEqual(lb.dataSync(), la.dataSync());
  // the copy does not alias: training one leaves the other
  a.parameters()
    .get("model.norm.weight")!
    .assign(tf.zeros([16]));
  assert.ok(
    b
      .parameters()
      .get("model.norm.weight")!
      .dataSync()
      .every((x) => x === 1),
  );

  const partial = new Map([...a.parameters()].filter(([n]) => !n.includes("layers.1")));
  partial.set("model.layers.1.self_attn.extra", tf.zeros([2]) as tf.Variable);
  assert.throws(
    () => b.loadWeights(partial),
    (e: Error) => {
      assert.match(e.message, /^loadWeights: the source lacks:\n {2}model\.layers\.1\.self_attn\.q_proj\.weight\n/);
      assert.match(e.message, /the model has no:\n {2}model\.layers\.1\.self_attn\.extra\n\(pass \{strict: false\} to copy what matches\)/);
      return true;
    },
  );
  const loose = b.loadWeights(partial, { strict: false });
  assert.deepEqual(loose.unexpected, ["model.layers.1.self_attn.extra"]);
  assert.equal(loose.missing.length, 9);
  assert.throws(
    () => b.loadWeights({ "model.norm.weight": { shape: [8], data: new Float32Array(8) } }, { strict: false }),
    /loadWeights: model\.norm\.weight has shape \[8\] in the source, \[16\] in the model/,
  );
  // a tied model takes its weight under either name, e.g. a checkpoint that stores lm_head.weight
  const tied = create({ ...tiny, tieEmbeddings: true }, { seed: 3 });
  const head = { shape: [30, 16], data: Float32Array.from({ length: 480 }, (_, i) => i / 480) };
  assert.deepEqual(tied.loadWeights({ "lm_head.weight": head }, { strict: false }).loaded, ["model.embed_tokens.weight"]);
  assert.deepEqual(Array.from(tied.parameters().get("model.embed_tokens.weight")!.dataSync()), Array.from(head.data));
  tf.dispose([la, lb]);
  for (const m of [a, b, tied]) m.dispose();
});

test("loadWeights takes tensors read from a safetensors file", async () => {
  const m = await load(fixtureDir("olmo2"));
  const fresh = create(m.config, { seed: 9 });
  const { tensors } = await readSafetensors(join(fixtureDir("olmo2"), "model.safetensors"));
  fresh.loadWeights(tensors);
  const a = m.logits([[1, 2, 3]]);
  const b = fresh.logits([[1, 2, 3]]);
  assert.deepEqual(b.dataSync(), a.dataSync());
  tf.dispose([a, b]);
  m.dispose();
  fresh.dispose();
});

/** Records the mode of every forward it runs in. */
function modeProbe(m: Model, path: string): boolean[] {
  const seen: boolean[] = [];
  const inner = m.module(path);
  const probe: Module = {
    forward: (...args: unknown[]) => {
      seen.push(isTraining());
      return inner.forward(...args);
    },
    namedChildren: () => [["inner", inner]],
  };
  m.replaceModule(path, probe);
  return seen;
}

test("modes: models start in evaluation; train()/eval() switch; a call may override; generate is always evaluation", async () => {
  const m = create({ family: "qwen2", vocabSize: 30, dModel: 16, nLayers: 1, nHeads: 2, dFf: 24 });
  const seen = modeProbe(m, "model.layers.0.mlp");
  assert.equal(m.training, false);
  m.logits([[1, 2]]).dispose();
  assert.equal(m.train(), m);
  m.logits([[1, 2]]).dispose();
  m.logits([[1, 2]], { training: false }).dispose();
  m.hidden([[1, 2]]).dispose();
  await m.generate([1, 2], { maxNewTokens: 2, eosTokenId: null });
  assert.equal(m.training, true, "generate leaves the model's mode alone");
  m.eval()
    .logits([[1, 2]], { training: true })
    .dispose();
  assert.deepEqual(seen, [false, true, false, true, false, false, true]);
  m.dispose();
});

test("the model card shows trainable and total parameters, layer types and mode", () => {
  const m = create({ family: "llama", vocabSize: 64, dModel: 32, nLayers: 2, nHeads: 4, dFf: 48 });
  const show = () => (m as unknown as Record<symbol, () => Record<string, string>>)[Symbol.for("Jupyter.display")]();
  const total = m.numParams();
  assert.match(show()["text/plain"], /^Model\(llama, \d+\.\dK params, 2 layers/);
  assert.match(show()["text/html"], /parameters<\/th><td[^>]*>\d+\.\dK, all trainable</);
  assert.match(show()["text/html"], /layers<\/th><td[^>]*>2 \(full_attention x 2\)</);
  assert.match(show()["text/html"], /mode<\/th><td[^>]*>evaluation</);
  m.freeze();
  m.unfreeze("lm_head");
  assert.equal(m.numParams("trainable"), 64 * 32);
  assert.equal(m.numParams(), total);
  assert.match(show()["text/plain"], /params \(2\.0K trainable\)/);
  assert.match(show()["text/html"], /parameters<\/th><td[^>]*>\d+\.\dK, 2\.0K trainable</);
  m.train();
  assert.match(show()["text/html"], /mode<\/th><td[^>]*>training</);
  m.dispose();
});
