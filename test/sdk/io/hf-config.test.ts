import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fromHfConfig, toHfConfig, generationConfigFrom, toHfGenerationConfig } from "../../../sdk/io/hf-config.js";
import { config } from "../../../sdk/models/config.js";
import { FAMILIES, fixtureDir } from "../models/helpers.js";

const fixture = async (family: string) => JSON.parse(await readFile(join(fixtureDir(family), "config.json"), "utf8"));

test("fixture config.json files parse to the expected structure", async () => {
  const llama = fromHfConfig(await fixture("llama")).config;
  assert.equal(llama.family, "llama");
  assert.equal(llama.tieEmbeddings, true);
  assert.deepEqual(llama.ropeScaling, {
    type: "llama3",
    factor: 4,
    lowFreqFactor: 1,
    highFreqFactor: 4,
    originalMaxPositionEmbeddings: 64,
  });
  const qwen = fromHfConfig(await fixture("qwen2")).config;
  assert.equal(qwen.qkvBias, true);
  assert.equal(qwen.outputBias, false);
  assert.equal(qwen.ropeTheta, 1e6);
  const olmo = fromHfConfig(await fixture("olmo2"));
  assert.equal(olmo.config.qkNorm, true);
  assert.equal(olmo.config.postNorm, true);
  assert.equal(olmo.torchDtype, "bfloat16");
});

test("toHfConfig -> fromHfConfig is the identity for every family", async () => {
  for (const family of FAMILIES) {
    const c = fromHfConfig(await fixture(family)).config;
    const hf = toHfConfig(c, "float16");
    assert.equal(hf.torch_dtype, "float16");
    assert.deepEqual(
      (hf.architectures as string[])[0],
      { llama: "LlamaForCausalLM", qwen2: "Qwen2ForCausalLM", olmo2: "Olmo2ForCausalLM" }[family],
    );
    assert.deepEqual(fromHfConfig(JSON.parse(JSON.stringify(hf))).config, c);
  }
});

test("errors name the file, the Hugging Face field and the value", async () => {
  const base = await fixture("llama");
  assert.throws(
    () => fromHfConfig({ ...base, num_key_value_heads: 3 }, "x/config.json"),
    /x\/config\.json: num_key_value_heads: ModelConfig\.nKvHeads = 3: expected a divisor of nHeads \(4\)/,
  );
  assert.throws(() => fromHfConfig({ ...base, model_type: "mistral" }, "x/config.json"), /x\/config\.json: model_type = "mistral"/);
  assert.throws(
    () => fromHfConfig({ ...base, rope_scaling: { rope_type: "yarn", factor: 2 } }, "c.json"),
    /c\.json: rope_scaling\.rope_type = "yarn"/,
  );
  assert.throws(
    () => fromHfConfig({ ...base, rope_scaling: { ...base.rope_scaling, factor: 0.5 } }, "c.json"),
    /c\.json: rope_scaling: ModelConfig\.ropeScaling\.factor = 0\.5: expected a number >= 1/,
  );
  assert.throws(() => fromHfConfig({ ...base, hidden_act: "gelu" }, "c.json"), /c\.json: hidden_act = "gelu": expected "silu"/);
  assert.throws(
    () => fromHfConfig({ ...base, vocab_size: undefined }, "c.json"),
    /c\.json: vocab_size: ModelConfig\.vocabSize = undefined/,
  );
});

test("generation config: defaults from the model config, round trip", () => {
  const c = config({ family: "llama", vocabSize: 10, dModel: 8, nLayers: 1, nHeads: 2, dFf: 16, eosTokenId: [1, 2] });
  const g = generationConfigFrom({}, c);
  assert.deepEqual(g.eosTokenIds, [1, 2]);
  assert.equal(g.doSample, false);
  const g2 = generationConfigFrom({ do_sample: true, temperature: 0.7, top_p: 0.9, eos_token_id: 5 }, c);
  assert.deepEqual(g2.eosTokenIds, [5]);
  assert.deepEqual(generationConfigFrom(toHfGenerationConfig(g2), c), g2);
  assert.throws(() => generationConfigFrom({ temperature: -1 }, c, "g.json"), /g\.json: temperature = -1/);
});
