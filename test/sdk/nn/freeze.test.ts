import { test, before } from "node:test";
import assert from "node:assert/strict";
import { create } from "../../../sdk/models/index.js";
import { freeze, trainableParameters, unfreeze } from "../../../sdk/nn/freeze.js";
import { useCpu } from "../models/helpers.js";

before(useCpu);

const tiny = (tie = false) =>
  create({ family: "qwen2", vocabSize: 40, dModel: 16, nLayers: 2, nHeads: 2, dFf: 24, tieEmbeddings: tie }, { seed: 3 });

test("freeze / unfreeze by RegExp, module path, list and predicate; they return the names", () => {
  const m = tiny();
  const all = [...m.parameters().keys()];
  assert.deepEqual(freeze(m), all);
  assert.equal(trainableParameters(m).size, 0);
  assert.equal(m.numParams("trainable"), 0);
  assert.deepEqual(unfreeze(m, "model.layers.1.mlp"), [
    "model.layers.1.mlp.gate_proj.weight",
    "model.layers.1.mlp.up_proj.weight",
    "model.layers.1.mlp.down_proj.weight",
  ]);
  assert.deepEqual(unfreeze(m, /self_attn\.q_proj\.bias$/), [
    "model.layers.0.self_attn.q_proj.bias",
    "model.layers.1.self_attn.q_proj.bias",
  ]);
  assert.deepEqual(unfreeze(m, ["lm_head", "model.norm.weight"]), ["model.norm.weight", "lm_head.weight"]);
  assert.deepEqual(
    m.freeze((n) => n.endsWith("up_proj.weight")),
    ["model.layers.0.mlp.up_proj.weight", "model.layers.1.mlp.up_proj.weight"],
  );
  const on = [...trainableParameters(m).keys()];
  assert.equal(on.length, 2 + 2 + 2);
  assert.equal(
    m.numParams("trainable"),
    on.reduce((a, n) => a + m.parameters().get(n)!.size, 0),
  );
  assert.ok(m.numParams("trainable") < m.numParams());
  m.dispose();
});

test("a tied weight is one tensor: freezing it as lm_head freezes the embedding too", () => {
  const m = tiny(true);
  assert.deepEqual(m.freeze("lm_head"), ["model.embed_tokens.weight"]);
  assert.equal(m.parameters().get("model.embed_tokens.weight")!.trainable, false);
  m.dispose();
});

test("a match of nothing is an error listing the parameters, grouped", () => {
  const m = tiny();
  assert.throws(
    () => m.freeze(/lora_/),
    (e: Error) => {
      assert.match(e.message, /^freeze: \/lora_\/ matches no parameter\. The parameters are:\n/);
      assert.match(e.message, /model\.layers\.\{0\.\.1\}\.self_attn\.q_proj\.bias/);
      return true;
    },
  );
  assert.throws(() => m.unfreeze("model.layers.7"), /unfreeze: "model\.layers\.7" matches no parameter/);
  m.dispose();
});
