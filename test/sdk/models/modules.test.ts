import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { load, create } from "../../../sdk/models/index.js";
import { Linear } from "../../../sdk/nn/linear.js";
import type { LinearModule, Module } from "../../../sdk/nn/module.js";
import type { AttentionContext, AttentionModule } from "../../../sdk/nn/self-attention.js";
import { attentionContext } from "../../../sdk/nn/decoder-stack.js";
import { fixtureDir, maxAbsDiff, useCpu } from "./helpers.js";

before(useCpu);

const IDS = [
  [1, 5, 9, 13, 2],
  [7, 3, 3, 60, 11],
];

/** A minimal LoRA wrapper in the PEFT layout: base_layer + lora_A [r, in] + lora_B [out, r]. */
class LoraLinear implements LinearModule {
  readonly A: tf.Variable<tf.Rank.R2>;
  readonly B: tf.Variable<tf.Rank.R2>;
  constructor(
    readonly base_layer: LinearModule,
    r: number,
    bInit: number,
  ) {
    this.A = tf.variable(tf.randomNormal([r, base_layer.inFeatures], 0, 0.5, "float32", 1));
    this.B = tf.variable(tf.fill([base_layer.outFeatures, r], bInit));
  }
  get inFeatures() {
    return this.base_layer.inFeatures;
  }
  get outFeatures() {
    return this.base_layer.outFeatures;
  }
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const lead = x.shape.slice(0, -1);
      const x2 = tf.reshape(x, [-1, this.inFeatures]) as tf.Tensor2D; // [N, in]
      const delta = tf.matMul(tf.matMul(x2, this.A, false, true), this.B, false, true); // [N, out]
      return tf.add(this.base_layer.forward(x), tf.reshape(delta, [...lead, this.outFeatures])); // [..., out]
    });
  }
  *namedChildren(): Iterable<[string, Module]> {
    yield ["base_layer", this.base_layer];
  }
  *namedParameters(): Iterable<[string, tf.Variable]> {
    yield ["lora_A.weight", this.A];
    yield ["lora_B.weight", this.B];
  }
}

test("parameters() uses Hugging Face names and [out, in] layout", async () => {
  const m = await load(fixtureDir("qwen2"));
  const p = m.parameters();
  for (const name of [
    "model.embed_tokens.weight",
    "lm_head.weight",
    "model.norm.weight",
    "model.layers.1.self_attn.q_proj.weight",
    "model.layers.0.self_attn.q_proj.bias",
    "model.layers.1.mlp.down_proj.weight",
  ]) {
    assert.ok(p.has(name), name);
  }
  assert.deepEqual(p.get("model.layers.0.self_attn.k_proj.weight")!.shape, [16, 32]);
  assert.deepEqual(p.get("model.layers.0.mlp.down_proj.weight")!.shape, [32, 48]);
  assert.equal(
    m.numParams(),
    [...p.values()].reduce((a, v) => a + v.size, 0),
  );
  m.dispose();
});

test("module(name) finds submodules; bad names list what exists", async () => {
  const m = await load(fixtureDir("olmo2"));
  const q = m.module("model.layers.1.self_attn.q_proj") as Linear;
  assert.ok(q instanceof Linear);
  assert.equal(q.inFeatures, 32);
  assert.ok(m.module("model.layers.1.self_attn.q_norm"));
  assert.ok(m.module("model.layers.0.mlp"));
  assert.throws(() => m.module("model.layers.7.mlp"), /no module "model\.layers\.7\.mlp": "model\.layers" has children 0, 1, not "7"/);
  assert.throws(() => m.module("model.layers.0.attn"), /children self_attn, mlp, post_attention_layernorm, post_feedforward_layernorm/);
  m.dispose();
});

test("hooks see inputs and outputs with the right shapes; removers stop them", async () => {
  const m = await load(fixtureDir("llama"));
  const seen: Record<string, number[][]> = {};
  const log = (k: string) => (t: tf.Tensor) => {
    seen[k] ??= [];
    seen[k].push(t.shape);
  };
  const r1 = m.hook("model.layers.0.self_attn.q_proj", { input: log("q_in"), output: log("q_out") });
  const r2 = m.hook("model.layers.0.self_attn.k_proj", { output: log("k_out") });
  const r3 = m.hook("model.layers.1.self_attn", { input: log("attn_in"), output: log("attn_out") });
  const r4 = m.hook("model.layers.1.mlp.down_proj", { input: log("down_in") });
  const before = tf.memory().numTensors;
  const out = m.logits(IDS);
  out.dispose();
  assert.equal(tf.memory().numTensors, before);
  assert.deepEqual(seen, {
    q_in: [[2, 5, 32]],
    q_out: [[2, 5, 32]],
    k_out: [[2, 5, 16]],
    attn_in: [[2, 5, 32]],
    attn_out: [[2, 5, 32]],
    down_in: [[2, 5, 48]],
  });
  // during generation every step runs the hooks: prompt [1, 5] then [1, 1] per step
  r2();
  r3();
  r4();
  seen.q_in = [];
  await m.generate([1, 2, 3, 4, 5], { maxNewTokens: 3, eosTokenId: null });
  assert.deepEqual(seen.q_in, [
    [1, 5, 32],
    [1, 1, 32],
    [1, 1, 32],
  ]);
  r1();
  seen.q_in = [];
  m.logits(IDS).dispose();
  assert.deepEqual(seen.q_in, []);
  assert.throws(() => m.hook("model.layers.9", {}), /no module "model\.layers\.9"/);
  m.dispose();
});

test("a hook can capture activations by reading them synchronously", async () => {
  const m = await load(fixtureDir("qwen2"));
  let captured: Float32Array | null = null;
  const remove = m.hook("model.layers.0.self_attn.v_proj", {
    input: (x) => {
      captured = x.dataSync() as Float32Array;
    },
  });
  m.logits(IDS).dispose();
  remove();
  assert.equal(captured!.length, 2 * 5 * 32);
  m.dispose();
});

test("replaceModule: a LoRA-wrapped linear changes outputs only when B != 0, and trains", async () => {
  const m = await load(fixtureDir("qwen2"));
  const name = "model.layers.0.self_attn.q_proj";
  const base = m.module(name) as LinearModule;
  const ref = m.logits(IDS);
  const zero = new LoraLinear(base, 4, 0);
  assert.equal(m.replaceModule(name, zero), base);
  const same = m.logits(IDS);
  assert.ok(maxAbsDiff(same.dataSync(), ref.dataSync()) < 1e-6, "B = 0 keeps the model's function");
  assert.ok(m.parameters().has(`${name}.base_layer.weight`));
  assert.ok(m.parameters().has(`${name}.lora_A.weight`));
  const live = new LoraLinear(base, 4, 0.1);
  m.replaceModule(name, live);
  const changed = m.logits(IDS);
  assert.ok(maxAbsDiff(changed.dataSync(), ref.dataSync()) > 1e-3, "B != 0 changes outputs");
  const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(m.logits(IDS))) as tf.Scalar, [live.A, live.B]);
  assert.ok(tf.max(tf.abs(grads[live.A.name])).dataSync()[0] > 0, "gradient reaches lora_A");
  tf.dispose([ref, same, changed, value, grads]);
  m.replaceModule(name, base);
  const back = m.logits(IDS);
  assert.equal(maxAbsDiff(back.dataSync(), m.logits(IDS).dataSync()), 0);
  back.dispose();
  assert.throws(
    () => m.replaceModule(name, new Linear(tf.variable(tf.zeros([32, 16])) as tf.Variable<tf.Rank.R2>)),
    /inFeatures 16 does not match the module it replaces \(32\)/,
  );
  assert.throws(() => m.replaceModule(name, {} as Module), /has no forward\(\) method/);
  m.dispose();
});

test("replaceModule: any object with the attention interface can stand in for self_attn; hooks follow the name", async () => {
  const m = await load(fixtureDir("olmo2"));
  const name = "model.layers.1.self_attn";
  const original = m.module(name) as AttentionModule;
  const calls: AttentionContext[] = [];
  const hybrid: AttentionModule = {
    // the original attention negated (OLMo2's post-norm would undo a mere rescaling):
    // a stand-in for a distilled hybrid block
    forward(x: tf.Tensor3D, ctx: AttentionContext): tf.Tensor3D {
      calls.push(ctx);
      return tf.tidy(() => tf.neg(original.forward(x, ctx)) as tf.Tensor3D);
    },
    *namedChildren() {
      yield ["inner", original] as [string, Module];
    },
  };
  let hooked = 0;
  m.hook(name, { output: () => hooked++ });
  const ref = m.logits(IDS);
  m.replaceModule(name, hybrid);
  const out = m.logits(IDS);
  assert.ok(maxAbsDiff(out.dataSync(), ref.dataSync()) > 1e-3);
  assert.equal(hooked, 2, "the hook fired for the original and for the replacement");
  assert.equal(calls.length, 1);
  assert.deepEqual(calls[0].cos.shape, [2, 5, 8]);
  assert.equal(calls[0].offset, 0);
  assert.ok(m.parameters().has(`${name}.inner.q_proj.weight`));
  const gen = await m.generate([1, 2, 3], { maxNewTokens: 3, eosTokenId: null });
  assert.equal(gen.length, 3, "decoding runs through the stand-in (it reuses the KV slot)");
  tf.dispose([ref, out]);
  m.dispose();
});

test("a model displays itself in Jupyter (family, params, layers)", async () => {
  const m = await load(fixtureDir("llama"));
  const bundle = (m as unknown as Record<symbol, () => Record<string, string>>)[Symbol.for("Jupyter.display")]();
  assert.match(bundle["text/plain"], /^Model\(llama, \d+(\.\d)?K params, 2 layers, d=32, heads 4\/2, vocab 64\)$/);
  assert.match(bundle["text/html"], /<table>.*llama.*parameters.*layers<\/th><td[^>]*>2 \(full_attention x 2\)</);
  assert.equal(String(m), bundle["text/plain"]);
  m.dispose();
});

test("llama with headDim != dModel / nHeads runs", () => {
  const m = create({ family: "llama", vocabSize: 20, dModel: 16, nLayers: 1, nHeads: 4, nKvHeads: 2, headDim: 6, dFf: 8 });
  assert.deepEqual(m.parameters().get("model.layers.0.self_attn.q_proj.weight")!.shape, [24, 16]);
  assert.deepEqual(m.parameters().get("model.layers.0.self_attn.o_proj.weight")!.shape, [16, 24]);
  const out = m.logits([[1, 2, 3]]);
  assert.deepEqual(out.shape, [1, 3, 20]);
  out.dispose();
  m.dispose();
});

test("an attention block runs outside the model with attentionContext (layer-wise distillation)", async () => {
  const m = await load(fixtureDir("qwen2"));
  const name = "model.layers.1.self_attn";
  let xIn: tf.Tensor3D | null = null;
  let yOut: tf.Tensor3D | null = null;
  const remove = m.hook(name, {
    input: (x) => {
      xIn = tf.keep(x.clone()) as tf.Tensor3D;
    },
    output: (y) => {
      yOut = tf.keep(y.clone()) as tf.Tensor3D;
    },
  });
  m.logits(IDS).dispose();
  remove();
  const attn = m.module(name) as AttentionModule;
  const before = tf.memory().numTensors;
  const y = tf.tidy(() => {
    const positions = tf.tensor2d(
      [
        [0, 1, 2, 3, 4],
        [0, 1, 2, 3, 4],
      ],
      [2, 5],
      "int32",
    );
    return attn.forward(xIn!, attentionContext(m.model.invFreq, positions));
  });
  assert.equal(maxAbsDiff(y.dataSync(), yOut!.dataSync()), 0);
  tf.dispose([y, xIn!, yOut!]);
  assert.equal(tf.memory().numTensors, before - 2);
  m.dispose();
});
