// Adapters in PEFT's format: names, shapes and merged weights checked by an independent Python reader
// (tools/lora/check_adapter.py, json + numpy, no PEFT), and load() round trips.
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { before, test } from "node:test";
import { readSafetensorsHeader } from "../../../sdk/io/safetensors.js";
import { attach } from "../../../sdk/lora/attach.js";
import { load } from "../../../sdk/lora/load.js";
import type { Model } from "../../../sdk/models/index.js";
import { tempDir, useCpu } from "../models/helpers.js";
import { logitsOf, maxDiff, perturb, pythonCheck, pythonCheckFails, tiny } from "./helpers.js";

before(useCpu);

/** Save the base, attach, "train" (seeded noise in both factors), save the adapter, merge and save the merged model. */
async function roundTrip(dir: string, m: Model, options: Parameters<typeof attach>[1]) {
  await m.save(join(dir, "base"));
  const a = attach(m, options);
  a.layers.forEach((l, i) => {
    perturb(l.layer.lora_B.weight, 200 + i);
    perturb(l.layer.lora_A.weight, 300 + i, 0.1);
  });
  const adapted = logitsOf(m);
  await a.save(join(dir, "adapter"), { baseModel: "stillroom/tiny-llama" });
  return { a, adapted };
}

async function mergeAndSave(dir: string, m: Model, a: ReturnType<typeof attach>) {
  a.merge().detach();
  await m.save(join(dir, "merged"));
  return pythonCheck(join(dir, "adapter"), join(dir, "base", "model.safetensors"), join(dir, "merged", "model.safetensors"));
}

test("a kaiming adapter with rank and alpha patterns and rsLoRA: PEFT names, shapes and base + scaling B A = merged, checked in Python", async (t) => {
  const dir = await tempDir(t);
  const m = tiny();
  const { a } = await roundTrip(dir, m, {
    targets: ["q_proj", "v_proj", "down_proj"],
    r: 4,
    alpha: 8,
    useRslora: true,
    dropout: 0.1,
    rankPattern: { down_proj: 2 },
    alphaPattern: { "model\\.layers\\.1\\.self_attn\\.q_proj": 5 },
  });
  const cfg = JSON.parse(await readFile(join(dir, "adapter", "adapter_config.json"), "utf8"));
  assert.equal(cfg.peft_type, "LORA");
  assert.equal(cfg.task_type, "CAUSAL_LM");
  assert.equal(cfg.r, 4);
  assert.equal(cfg.lora_alpha, 8);
  assert.equal(cfg.lora_dropout, 0.1);
  assert.equal(cfg.use_rslora, true);
  assert.equal(cfg.init_lora_weights, true);
  assert.equal(cfg.base_model_name_or_path, "stillroom/tiny-llama");
  assert.deepEqual(cfg.target_modules, ["down_proj", "q_proj", "v_proj"]);
  assert.deepEqual(cfg.rank_pattern, { "model.layers.0.mlp.down_proj": 2, "model.layers.1.mlp.down_proj": 2 });
  assert.deepEqual(cfg.alpha_pattern, { "model.layers.1.self_attn.q_proj": 5 });
  const header = await readSafetensorsHeader(join(dir, "adapter", "adapter_model.safetensors"));
  const names = header.entries.map((e) => `${e.name} [${e.shape}]`).sort();
  assert.ok(names.includes("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight [4,16]"), names.join("\n"));
  assert.ok(names.includes("base_model.model.model.layers.1.mlp.down_proj.lora_B.weight [16,2]"));
  assert.equal(names.length, 12);
  assert.equal(header.metadata.format, "pt");
  const got = await mergeAndSave(dir, m, a);
  assert.equal(got.modules, 6);
  assert.ok(got.max_abs_diff < 1e-5);
});

test("the Python check fails on a wrong scaling (it can fail)", async (t) => {
  const dir = await tempDir(t);
  const m = tiny();
  const { a } = await roundTrip(dir, m, { targets: ["q_proj"], r: 2, alpha: 4 });
  a.merge().detach();
  await m.save(join(dir, "merged"));
  const path = join(dir, "adapter", "adapter_config.json");
  const cfg = JSON.parse(await readFile(path, "utf8"));
  await writeFile(path, JSON.stringify({ ...cfg, lora_alpha: 5 }));
  assert.match(
    pythonCheckFails(join(dir, "adapter"), join(dir, "base", "model.safetensors"), join(dir, "merged", "model.safetensors")),
    /base \+ scaling \* B @ A differs from the merged weight/,
  );
});

test("load() puts the adapter back on a fresh copy of the base model: the same logits, the same config", async (t) => {
  const dir = await tempDir(t);
  const m = tiny();
  const { adapted } = await roundTrip(dir, m, { targets: ["k_proj", "o_proj", "up_proj"], r: 3, alpha: 6, rankPattern: { up_proj: 5 } });
  const fresh = tiny();
  const b = await load(fresh, join(dir, "adapter"));
  assert.equal(maxDiff(logitsOf(fresh), adapted), 0);
  assert.deepEqual(
    b.layers.map((l) => [l.path, l.layer.r, l.layer.alpha]),
    [
      ["model.layers.0.self_attn.k_proj", 3, 6],
      ["model.layers.0.self_attn.o_proj", 3, 6],
      ["model.layers.0.mlp.up_proj", 5, 6],
      ["model.layers.1.self_attn.k_proj", 3, 6],
      ["model.layers.1.self_attn.o_proj", 3, 6],
      ["model.layers.1.mlp.up_proj", 5, 6],
    ],
  );
  assert.equal(fresh.numParams("trainable"), b.numParams(), "the loaded adapter trains, the base is frozen");
});

test("PiSSA and OLoRA: the saved adapter applies to the residual PEFT re-derives; load re-derives it too; asLora converts to plain LoRA", async (t) => {
  for (const init of ["pissa", "olora"] as const) {
    const dir = await tempDir(t);
    const m = tiny();
    const { a, adapted } = await roundTrip(dir, m, { targets: ["q_proj", "gate_proj"], r: 3, alpha: 6, init });
    const cfg = JSON.parse(await readFile(join(dir, "adapter", "adapter_config.json"), "utf8"));
    assert.equal(cfg.init_lora_weights, init);
    assert.match(
      await readFile(join(dir, "adapter", "README.md"), "utf8"),
      /changed the base weight of every wrapped layer to the residual/,
    );
    await a.save(join(dir, "as-lora"), { asLora: true });
    // the original model + the saved adapter, through load(): the adapted model's logits
    const fresh = tiny();
    await load(fresh, join(dir, "adapter"));
    assert.ok(maxDiff(logitsOf(fresh), adapted) < 1e-5, `${init}: load re-derives the residual`);
    const got = await mergeAndSave(dir, m, a);
    assert.equal(got.init_lora_weights, init);
    assert.equal(got.modules, 4);
    // converted: rank 2r, alpha doubled, applies to the original base
    const conv = JSON.parse(await readFile(join(dir, "as-lora", "adapter_config.json"), "utf8"));
    assert.deepEqual([conv.r, conv.lora_alpha, conv.init_lora_weights], [6, 12, true]);
    const plain = pythonCheck(join(dir, "as-lora"), join(dir, "base", "model.safetensors"), join(dir, "merged", "model.safetensors"));
    assert.equal(plain.init_lora_weights, true);
    const other = tiny();
    await load(other, join(dir, "as-lora"));
    assert.ok(maxDiff(logitsOf(other), adapted) < 1e-5, `${init}: the converted adapter on the original weights`);
  }
});

test("asLora on a plain LoRA adapter is refused", async (t) => {
  const dir = await tempDir(t);
  const a = attach(tiny(), { targets: ["q_proj"], r: 2 });
  await assert.rejects(
    a.save(dir, { asLora: true }),
    /asLora converts PiSSA \/ OLoRA adapters; this one \(kaiming \(PEFT's default\)\) already is a plain LoRA/,
  );
});

test("load: bad files name the file, the field or the layer", async (t) => {
  const dir = await tempDir(t);
  const m = tiny();
  await roundTrip(dir, m, { targets: ["q_proj"], r: 2 });
  const adapter = join(dir, "adapter");
  const cfgPath = join(adapter, "adapter_config.json");
  const cfg = JSON.parse(await readFile(cfgPath, "utf8"));
  await assert.rejects(load(tiny(), join(dir, "nowhere")), /lora\.load: cannot read .*nowhere\/adapter_config\.json/);
  const cases: [object, RegExp][] = [
    [{ ...cfg, peft_type: "IA3" }, /adapter_config\.json: peft_type = "IA3": expected "LORA"/],
    [
      { ...cfg, r: 3 },
      /adapter_model\.safetensors: model\.layers\.0\.self_attn\.q_proj has lora_A \[2,16\] and lora_B \[16,2\]; rank 3 \(from the config\)/,
    ],
    [{ ...cfg, use_dora: true }, /use_dora = true: expected false \(Stillroom's LoRA layers do not support it\)/],
    [{ ...cfg, init_lora_weights: "loftq" }, /init_lora_weights = "loftq": expected true, "gaussian", "pissa", "olora" or "eva"/],
    [
      { ...cfg, target_modules: ["q_proj", "v_proj"] },
      /target_modules \["q_proj","v_proj"\] selects model\.layers\.0\.self_attn\.v_proj, but the file has no lora_A \/ lora_B for it/,
    ],
  ];
  for (const [c, re] of cases) {
    await writeFile(cfgPath, JSON.stringify(c));
    await assert.rejects(load(tiny(), adapter), re);
  }
  await writeFile(cfgPath, JSON.stringify(cfg));
  // a model without that layer
  const small = (await import("../../../sdk/models/index.js")).create(
    { family: "llama", vocabSize: 40, dModel: 16, nLayers: 1, nHeads: 4, nKvHeads: 2, dFf: 24 },
    { seed: 1 },
  );
  await assert.rejects(
    load(small, adapter),
    /has weights for model\.layers\.1\.self_attn\.q_proj, which is not a linear layer of this model/,
  );
});
