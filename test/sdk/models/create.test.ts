import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { create, weightSpecs, config } from "../../../sdk/models/index.js";
import { useCpu } from "./helpers.js";

before(useCpu);

const tiny = { family: "llama" as const, vocabSize: 50, dModel: 16, nLayers: 2, nHeads: 4, nKvHeads: 2, dFf: 24 };

test("create is deterministic in the seed and follows the HF init", () => {
  const a = create(tiny, { seed: 7 });
  const b = create(tiny, { seed: 7 });
  const c = create(tiny, { seed: 8 });
  for (const [name, v] of a.parameters()) {
    assert.deepEqual(v.dataSync(), b.parameters().get(name)!.dataSync(), name);
  }
  const q = "model.layers.0.self_attn.q_proj.weight";
  assert.notDeepEqual(a.parameters().get(q)!.dataSync(), c.parameters().get(q)!.dataSync());
  assert.ok(
    a
      .parameters()
      .get("model.norm.weight")!
      .dataSync()
      .every((x) => x === 1),
  );
  const w = Array.from(a.parameters().get(q)!.dataSync());
  const std = Math.sqrt(w.reduce((s, x) => s + x * x, 0) / w.length);
  assert.ok(Math.abs(std - 0.02) < 0.006, `init std ${std}`);
  for (const m of [a, b, c]) m.dispose();
});

test("parameter names and shapes are the checkpoint layout; tied heads are listed once", () => {
  const untied = create(tiny);
  const cfg = config(tiny);
  assert.deepEqual(
    [...untied.parameters().keys()],
    weightSpecs(cfg).map((s) => s.name),
  );
  assert.deepEqual(untied.parameters().get("model.layers.1.self_attn.k_proj.weight")!.shape, [8, 16]);
  assert.deepEqual(untied.parameters().get("lm_head.weight")!.shape, [50, 16]);
  const tied = create({ ...tiny, tieEmbeddings: true });
  assert.ok(!tied.parameters().has("lm_head.weight"));
  assert.equal(untied.numParams() - tied.numParams(), 50 * 16);
  const qwen = create({ ...tiny, family: "qwen2" });
  assert.deepEqual(qwen.parameters().get("model.layers.0.self_attn.v_proj.bias")!.shape, [8]);
  const olmo = create({ ...tiny, family: "olmo2" });
  assert.deepEqual(olmo.parameters().get("model.layers.0.self_attn.q_norm.weight")!.shape, [16]);
  assert.deepEqual(olmo.parameters().get("model.layers.0.self_attn.k_norm.weight")!.shape, [8]);
  assert.ok(olmo.parameters().has("model.layers.0.post_feedforward_layernorm.weight"));
  assert.ok(!olmo.parameters().has("model.layers.0.input_layernorm.weight"));
  for (const m of [untied, tied, qwen, olmo]) m.dispose();
});

test("logits leave no tensors behind besides the result, and check their input", () => {
  const m = create(tiny, { seed: 1 });
  const before = tf.memory().numTensors;
  const out = m.logits([
    [1, 2, 3],
    [4, 5, 6],
  ]);
  assert.deepEqual(out.shape, [2, 3, 50]);
  assert.equal(tf.memory().numTensors, before + 1);
  out.dispose();
  const ids = tf.tensor2d([[1, 2, 3]], [1, 3], "int32");
  const before2 = tf.memory().numTensors;
  const out2 = m.logits(ids, { attentionMask: [[0, 1, 1]] });
  out2.dispose();
  assert.equal(tf.memory().numTensors, before2);
  ids.dispose();
  assert.throws(() => m.logits([[1, 50]]), /ids\[0\]\[1\] = 50: expected an integer in \[0, 49\]/);
  assert.throws(() => m.logits([[1, 2], [3]]), /row 1 has 1 tokens, row 0 has 2/);
  assert.throws(() => m.logits([[1, 2]], { attentionMask: [[1, 2]] }), /attentionMask\[0\]\[1\] = 2: expected 0 or 1/);
  m.dispose();
});

test("causality: logits at position t ignore tokens after t", () => {
  const m = create({ ...tiny, family: "olmo2" }, { seed: 3 });
  const a = m.logits([[1, 2, 3, 4]]);
  const b = m.logits([[1, 2, 9, 9]]);
  const V = 50;
  const da = a.dataSync().slice(0, 2 * V);
  const db = b.dataSync().slice(0, 2 * V);
  for (let i = 0; i < da.length; i++) assert.ok(Math.abs(da[i] - db[i]) < 1e-6);
  tf.dispose([a, b]);
  m.dispose();
});
