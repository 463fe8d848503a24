import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  buildSelfAttention,
  config,
  ConfigError,
  create,
  load,
  registerLayerType,
  selfAttentionWeights,
  weightSpecs,
  type LayerType,
} from "../../../sdk/models/index.js";
import { ArgumentError } from "../../../sdk/errors.js";
import type { Module } from "../../../sdk/nn/module.js";
import type { AttentionContext, AttentionModule, SelfAttention } from "../../../sdk/nn/self-attention.js";
import { fixtureDir, tempDir, useCpu } from "./helpers.js";

before(useCpu);

/** Test-only mixer: softmax attention whose output channels are scaled by sigmoid(gate). */
class GatedAttention implements AttentionModule {
  constructor(
    readonly inner: SelfAttention,
    readonly gate: tf.Variable,
  ) {}
  forward(x: tf.Tensor3D, ctx: AttentionContext): tf.Tensor3D {
    return tf.tidy(() => tf.mul(this.inner.forward(x, ctx), tf.sigmoid(this.gate)) as tf.Tensor3D); // [B, T, C]
  }
  namedChildren(): Iterable<[string, Module]> {
    return this.inner.namedChildren();
  }
  *namedParameters(): Iterable<[string, tf.Variable]> {
    yield ["gate", this.gate];
  }
}

interface GatedSettings extends Record<string, unknown> {
  gate_start: number;
  gate_step: number;
}

const GATED: LayerType<GatedSettings> = {
  name: "gated_attention",
  settings(raw) {
    const s = { gate_start: 0, gate_step: 0.25, ...raw };
    for (const k of Object.keys(s))
      if (!["gate_start", "gate_step"].includes(k)) throw new ArgumentError(k, s[k as never], "no such setting");
    if (typeof s.gate_start !== "number") throw new ArgumentError("gate_start", s.gate_start, "a number");
    if (typeof s.gate_step !== "number") throw new ArgumentError("gate_step", s.gate_step, "a number");
    return s as GatedSettings;
  },
  weights: (c, s) => [
    ...selfAttentionWeights(c),
    { name: "gate", shape: [c.dModel], init: (_rng, n) => Float32Array.from({ length: n }, (_, i) => s.gate_start + s.gate_step * i) },
  ],
  build: (c, _s, take) => new GatedAttention(buildSelfAttention(c, take), take("gate")),
};
registerLayerType(GATED);

const MIXED = {
  family: "qwen2" as const,
  vocabSize: 48,
  dModel: 16,
  nLayers: 3,
  nHeads: 4,
  nKvHeads: 2,
  dFf: 32,
  layerTypes: ["full_attention", "gated_attention", "gated_attention"],
  layerSettings: { gated_attention: { gate_start: -1 } },
};
const IDS = [
  [3, 1, 4, 1, 5, 9, 2],
  [2, 7, 1, 8, 2, 8, 1],
];

test("a mixed-layer model builds each layer's registered type, with the type's settings and init", () => {
  const m = create(MIXED, { seed: 4 });
  assert.ok(m.module("model.layers.0.self_attn").constructor.name === "SelfAttention");
  assert.ok(m.module("model.layers.1.self_attn") instanceof GatedAttention);
  assert.deepEqual(m.config.layerSettings, { full_attention: {}, gated_attention: { gate_start: -1, gate_step: 0.25 } });
  assert.deepEqual(Array.from(m.parameters().get("model.layers.2.self_attn.gate")!.dataSync()).slice(0, 3), [-1, -0.75, -0.5]);
  assert.deepEqual(
    [...m.parameters().keys()].sort(),
    weightSpecs(m.config)
      .map((s) => s.name)
      .sort(),
  );
  assert.ok(m.parameters().has("model.layers.1.self_attn.q_proj.bias"), "the family's structure carries into the type's attention");
  m.dispose();
});

test("mixed layers save, load and give identical logits and generations; config.json lists the types", async (t) => {
  const dir = await tempDir(t);
  const m = create(MIXED, { seed: 5 });
  await m.save(dir);
  const hf = JSON.parse(await readFile(join(dir, "config.json"), "utf8"));
  assert.deepEqual(hf.layer_types, MIXED.layerTypes);
  assert.deepEqual(hf.layer_type_settings, { full_attention: {}, gated_attention: { gate_start: -1, gate_step: 0.25 } });
  const back = await load(dir);
  assert.deepEqual(back.config, m.config);
  const a = m.logits(IDS);
  const b = back.logits(IDS);
  assert.deepEqual(b.dataSync(), a.dataSync());
  // the gate matters: the same weights read as plain attention give other logits
  const plain = create({ ...MIXED, layerTypes: undefined, layerSettings: undefined });
  plain.loadWeights(m, { strict: false });
  const c = plain.logits(IDS);
  assert.ok(tf.tidy(() => tf.max(tf.abs(tf.sub(a, c))).dataSync()[0]) > 1e-3);
  const g1 = await m.generate([1, 2, 3], { maxNewTokens: 5, eosTokenId: null });
  const g2 = await back.generate([1, 2, 3], { maxNewTokens: 5, eosTokenId: null });
  assert.deepEqual(g2, g1);
  tf.dispose([a, b, c]);
  for (const x of [m, back, plain]) x.dispose();
});

test("a family config without layer_types loads as before; Hugging Face's full_attention list is accepted", async (t) => {
  const dir = await tempDir(t);
  const m = await load(fixtureDir("qwen2"));
  assert.deepEqual(m.config.layerTypes, ["full_attention", "full_attention"]);
  await m.save(dir);
  const hf = JSON.parse(await readFile(join(dir, "config.json"), "utf8"));
  assert.ok(!("layer_types" in hf), "an all-attention model's config.json is written as before");
  await writeFile(join(dir, "config.json"), JSON.stringify({ ...hf, layer_types: ["full_attention", "full_attention"] }));
  const back = await load(dir);
  assert.deepEqual(back.config, m.config);
  await writeFile(join(dir, "config.json"), JSON.stringify({ ...hf, layer_types: ["full_attention", "sliding_attention"] }));
  await assert.rejects(
    load(dir),
    /config\.json: layer_types: ModelConfig\.layerTypes\[1\] = "sliding_attention": expected a registered layer type \(full_attention, gated_attention.*\); a method registers its own/,
  );
  m.dispose();
  back.dispose();
});

test("layer types and their settings are validated eagerly, naming the field", () => {
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ layerTypes: ["full_attention"] }, /ModelConfig\.layerTypes = \["full_attention"\]: expected an array of 3 layer type names/],
    [
      { layerTypes: ["full_attention", "mamba", "full_attention"] },
      /ModelConfig\.layerTypes\[1\] = "mamba": expected a registered layer type/,
    ],
    [
      { layerSettings: { gated_attention: { gate_step: "x" } } },
      /ModelConfig\.layerSettings\.gated_attention\.gate_step = "x": expected a number/,
    ],
    [
      { layerSettings: { gated_attention: { gate_width: 2 } } },
      /ModelConfig\.layerSettings\.gated_attention\.gate_width = 2: expected no such setting/,
    ],
    [{ layerSettings: { nope: {} } }, /ModelConfig\.layerSettings\.nope = "nope": expected a registered layer type/],
    [
      { layerTypes: MIXED.layerTypes.map(() => "full_attention"), layerSettings: { full_attention: { window: 4 } } },
      /layerSettings\.full_attention\.window = 4: expected no such setting/,
    ],
  ];
  for (const [patch, pattern] of bad) {
    assert.throws(
      () => config({ ...MIXED, ...patch } as never),
      (e: Error) => e instanceof ConfigError && pattern.test(e.message),
      JSON.stringify(patch),
    );
  }
  assert.deepEqual(config(config(MIXED)), config(MIXED), "config(config(x)) = config(x)");
  assert.deepEqual(
    config({ ...MIXED, layerTypes: MIXED.layerTypes.map(() => "full_attention") }).layerSettings,
    { full_attention: {} },
    "settings of unused types are dropped",
  );
});

test("registering: a clash of names is refused; re-registering the same definition is a no-op", () => {
  registerLayerType(GATED);
  assert.throws(() => registerLayerType({ ...GATED }), /"gated_attention" is already registered by another definition/);
  assert.throws(
    () => registerLayerType({ ...GATED, name: "Bad Name" }),
    /registerLayerType: name = "Bad Name": expected a snake_case name/,
  );
  assert.throws(
    () => registerLayerType({ ...GATED, name: "other", build: undefined as never }),
    /registerLayerType\("other"\): build = undefined: expected a function/,
  );
});

test("a type whose module does not hold the weights it lists is caught when the model is built", () => {
  registerLayerType({
    ...GATED,
    name: "gated_misnamed",
    build: (c, _s, take) => {
      const a = new GatedAttention(buildSelfAttention(c, take), take("gate"));
      return {
        forward: a.forward.bind(a),
        namedChildren: () => a.namedChildren(),
        *namedParameters() {
          yield ["gates", a.gate] as [string, tf.Variable];
        },
      };
    },
  });
  assert.throws(
    () => create({ ...MIXED, layerTypes: ["full_attention", "gated_misnamed", "full_attention"], layerSettings: {} }),
    /buildModel: layer type "gated_misnamed" \(layer 1\) holds weights its layout does not name, or leaves some unused: model\.layers\.1\.self_attn\.gates/,
  );
});

test("create refuses a layer type whose init or build fails, and leaves no weights behind", () => {
  const badInit: LayerType = {
    name: "short_init_attention",
    settings: () => ({}),
    weights: (c) => [...selfAttentionWeights(c), { name: "gate", shape: [c.dModel], init: () => new Float32Array(3) }],
    build: (c, _s, take) => new GatedAttention(buildSelfAttention(c, take), take("gate")),
  };
  const badBuild: LayerType = {
    name: "failing_build_attention",
    settings: () => ({}),
    weights: (c) => selfAttentionWeights(c),
    build: () => {
      throw new Error("this mixer cannot be built");
    },
  };
  registerLayerType(badInit);
  registerLayerType(badBuild);
  const before = tf.memory().numTensors;
  assert.throws(
    () => create({ ...MIXED, layerTypes: ["full_attention", "short_init_attention", "full_attention"] }),
    /the init of model\.layers\.1\.self_attn\.gate gave 3 values; its shape \[16\] holds 16/,
  );
  assert.equal(tf.memory().numTensors, before, "the weights made before the refused init are freed");
  assert.throws(() => create({ ...MIXED, layerTypes: ["full_attention", "full_attention", "failing_build_attention"] }), /cannot be built/);
  assert.equal(tf.memory().numTensors, before, "every weight is freed when a mixer's build fails");
});
