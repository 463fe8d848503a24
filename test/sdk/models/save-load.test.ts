import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { readdir, readFile, writeFile, cp } from "node:fs/promises";
import { join } from "node:path";
import { load, create } from "../../../sdk/models/index.js";
import { readSafetensors, writeSafetensors, type TensorInput } from "../../../sdk/io/safetensors.js";
import { FAMILIES, fixtureDir, tempDir, useCpu } from "./helpers.js";

before(useCpu);

const IDS = [
  [3, 1, 4, 1, 5, 9],
  [2, 6, 5, 3, 5, 8],
];

function sameWeights(a: Map<string, tf.Variable>, b: Map<string, tf.Variable>): void {
  assert.deepEqual([...a.keys()], [...b.keys()]);
  for (const [name, v] of a) {
    assert.deepEqual(b.get(name)!.shape, v.shape, name);
    assert.deepEqual(b.get(name)!.dataSync(), v.dataSync(), name);
  }
}

for (const family of FAMILIES) {
  test(`${family}: save then load gives identical weights and logits`, async (t) => {
    const dir = await tempDir(t);
    const m = await load(fixtureDir(family));
    await m.save(dir);
    const files = (await readdir(dir)).sort();
    assert.ok(
      files.includes("config.json") && files.includes("model.safetensors") && files.includes("generation_config.json"),
      files.join(),
    );
    assert.ok(!files.some((f) => f.endsWith(".tmp")), "no temp files left");
    assert.equal(files.includes("tokenizer.json"), family === "qwen2");
    const back = await load(dir);
    sameWeights(m.parameters(), back.parameters());
    const a = m.logits(IDS);
    const b = back.logits(IDS);
    assert.deepEqual(b.dataSync(), a.dataSync());
    const hf = JSON.parse(await readFile(join(dir, "config.json"), "utf8"));
    const orig = JSON.parse(await readFile(join(fixtureDir(family), "config.json"), "utf8"));
    for (const k of [
      "architectures",
      "model_type",
      "hidden_size",
      "intermediate_size",
      "num_attention_heads",
      "num_key_value_heads",
      "num_hidden_layers",
      "vocab_size",
      "max_position_embeddings",
      "rope_theta",
      "rms_norm_eps",
      "tie_word_embeddings",
      "rope_scaling",
    ]) {
      assert.deepEqual(hf[k], orig[k], k);
    }
    assert.equal(hf.torch_dtype, "float32");
    assert.deepEqual(back.generationConfig, m.generationConfig);
    tf.dispose([a, b]);
    m.dispose();
    back.dispose();
  });
}

test("sharded save (maxShardBytes) writes an index and loads back identically", async (t) => {
  const dir = await tempDir(t);
  const m = await load(fixtureDir("olmo2"));
  await m.save(dir, { maxShardBytes: 20_000 });
  const files = await readdir(dir);
  const index = JSON.parse(await readFile(join(dir, "model.safetensors.index.json"), "utf8"));
  const shards = new Set(Object.values(index.weight_map) as string[]);
  assert.ok(shards.size >= 4, `${shards.size} shards`);
  for (const s of shards) assert.ok(files.includes(s), s);
  assert.ok(!files.includes("model.safetensors"));
  assert.deepEqual(Object.keys(index.weight_map).sort(), [...m.parameters().keys()].sort());
  const back = await load(dir);
  sameWeights(m.parameters(), back.parameters());
  await m.save(dir); // back to a single file: the shards go away
  assert.deepEqual(
    (await readdir(dir)).filter((f) => f.includes("-of-")),
    [],
  );
  m.dispose();
  back.dispose();
});

test("save as F16 / BF16: torch_dtype set, weights rounded, F16 of F16 weights is exact", async (t) => {
  const dir = await tempDir(t);
  const qwen = await load(fixtureDir("qwen2")); // stored as F16
  await qwen.save(dir, { dtype: "F16" });
  assert.equal(JSON.parse(await readFile(join(dir, "config.json"), "utf8")).torch_dtype, "float16");
  const back = await load(dir);
  sameWeights(qwen.parameters(), back.parameters());
  const { tensors } = await readSafetensors(join(dir, "model.safetensors"), { names: ["model.norm.weight"] });
  assert.equal(tensors["model.norm.weight"].dtype, "F16");
  const llama = create({ family: "llama", vocabSize: 32, dModel: 16, nLayers: 1, nHeads: 2, dFf: 16 }, { seed: 2 });
  await llama.save(dir, { dtype: "BF16" });
  const bf = await load(dir);
  for (const [name, v] of llama.parameters()) {
    const x = v.dataSync();
    const y = bf.parameters().get(name)!.dataSync();
    for (let i = 0; i < x.length; i++) assert.ok(Math.abs(x[i] - y[i]) <= Math.abs(x[i]) * 2 ** -8, `${name}[${i}]`);
  }
  await assert.rejects(llama.save(dir, { dtype: "F64" as never }), /save: dtype = "F64"/);
  for (const m of [qwen, back, llama, bf]) m.dispose();
});

test("created models round trip too (tied llama with llama3 rope scaling)", async (t) => {
  const dir = await tempDir(t);
  const m = create(
    {
      family: "llama",
      vocabSize: 40,
      dModel: 16,
      nLayers: 2,
      nHeads: 4,
      nKvHeads: 1,
      dFf: 24,
      tieEmbeddings: true,
      ropeScaling: { type: "llama3", factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 32 },
      bosTokenId: 1,
      eosTokenId: [2, 3],
    },
    { seed: 11 },
  );
  await m.save(dir);
  const { tensors } = await readSafetensors(join(dir, "model.safetensors"));
  assert.ok(!("lm_head.weight" in tensors), "a tied head is not stored");
  const back = await load(dir);
  assert.deepEqual(back.config, m.config);
  const a = m.logits(IDS.map((r) => r.map((x) => x % 40)));
  const b = back.logits(IDS.map((r) => r.map((x) => x % 40)));
  assert.deepEqual(b.dataSync(), a.dataSync());
  assert.deepEqual(back.generationConfig.eosTokenIds, [2, 3]);
  tf.dispose([a, b]);
  m.dispose();
  back.dispose();
});

test("the tokenizer and chat template survive save/load", async (t) => {
  const dir = await tempDir(t);
  const m = await load(fixtureDir("qwen2"));
  await m.save(dir);
  const back = await load(dir);
  const msgs = [{ role: "user", content: "the world" }];
  assert.equal(
    back.tokenizer!.applyChatTemplate(msgs, { addGenerationPrompt: true }),
    m.tokenizer!.applyChatTemplate(msgs, { addGenerationPrompt: true }),
  );
  assert.deepEqual(back.tokenizer!.encode("hello there"), m.tokenizer!.encode("hello there"));
  m.dispose();
  back.dispose();
});

test("load errors name the directory, the tensor and what was expected", async (t) => {
  const dir = await tempDir(t);
  const tensorsBefore = tf.memory().numTensors;
  await cp(fixtureDir("llama"), dir, { recursive: true });
  const path = join(dir, "model.safetensors");
  const { tensors } = await readSafetensors(path);
  const asInput = (): Record<string, TensorInput> =>
    Object.fromEntries(Object.entries(tensors).map(([k, v]) => [k, { dtype: "F32", shape: v.shape, data: v.data as Float32Array }]));

  const missing = asInput();
  delete missing["model.layers.1.mlp.up_proj.weight"];
  await writeSafetensors(path, missing);
  await assert.rejects(load(dir), new RegExp(`${dir}: the checkpoint lacks model\\.layers\\.1\\.mlp\\.up_proj\\.weight`));

  const wrong = asInput();
  wrong["model.norm.weight"] = { dtype: "F32", shape: [16], data: new Float32Array(16) };
  await writeSafetensors(path, wrong);
  await assert.rejects(load(dir), /model\.norm\.weight has shape \[16\] in the checkpoint; config\.json implies \[32\]/);

  const extra = asInput();
  extra["model.layers.0.self_attn.q_proj.lora_A.weight"] = { dtype: "F32", shape: [2], data: [1, 2] };
  extra["model.rotary_emb.inv_freq"] = { dtype: "F32", shape: [4], data: [1, 2, 3, 4] };
  await writeSafetensors(path, extra);
  await assert.rejects(load(dir), /does not use: model\.layers\.0\.self_attn\.q_proj\.lora_A\.weight \(load with \{strict: false\}/);
  const lenient = await load(dir, { strict: false });
  lenient.dispose();

  await writeFile(join(dir, "config.json"), "{oops");
  await assert.rejects(load(dir), /config\.json: not valid JSON/);
  await assert.rejects(load(join(dir, "nope")), /config\.json: cannot read/);
  assert.equal(tf.memory().numTensors, tensorsBefore, "failed loads free what they allocated");
});
