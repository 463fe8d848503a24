import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { readdir } from "node:fs/promises";
import { create, load } from "../../../sdk/models/index.js";
import { Linear } from "../../../sdk/nn/linear.js";
import type { LinearModule, Module } from "../../../sdk/nn/module.js";
import { mergeModules, type Mergeable } from "../../../sdk/nn/replace.js";
import type { AttentionContext, AttentionModule } from "../../../sdk/nn/self-attention.js";
import { maxAbsDiff, tempDir, useCpu } from "./helpers.js";

before(useCpu);

const CFG = { family: "llama" as const, vocabSize: 40, dModel: 16, nLayers: 2, nHeads: 2, dFf: 24 };
const IDS = [[4, 8, 15, 16, 23, 42 % 40]];

/** LoRA in the PEFT layout (base_layer, lora_A [r, in], lora_B [out, r]) that merges W + s B A into a Linear. */
class Lora implements LinearModule, Mergeable {
  readonly lora_A: Linear;
  readonly lora_B: Linear;
  constructor(
    readonly base_layer: Linear,
    r: number,
    readonly scale: number,
    seed: number,
  ) {
    this.lora_A = new Linear(tf.variable(tf.randomNormal([r, base_layer.inFeatures], 0, 0.3, "float32", seed)) as tf.Variable<tf.Rank.R2>);
    this.lora_B = new Linear(
      tf.variable(tf.randomNormal([base_layer.outFeatures, r], 0, 0.3, "float32", seed + 1)) as tf.Variable<tf.Rank.R2>,
    );
  }
  get inFeatures() {
    return this.base_layer.inFeatures;
  }
  get outFeatures() {
    return this.base_layer.outFeatures;
  }
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => tf.add(this.base_layer.forward(x), tf.mul(this.lora_B.forward(this.lora_A.forward(x)), this.scale)));
  }
  *namedChildren(): Iterable<[string, Module]> {
    yield ["base_layer", this.base_layer];
    yield ["lora_A", this.lora_A];
    yield ["lora_B", this.lora_B];
  }
  merge(): Module {
    const w = this.base_layer.weight;
    tf.tidy(() => w.assign(tf.add(w, tf.mul(tf.matMul(this.lora_B.weight, this.lora_A.weight), this.scale)))); // [out, in]
    tf.dispose([this.lora_A.weight, this.lora_B.weight]);
    return this.base_layer;
  }
}

test("wrap, save, load: save refuses the wrapped tree naming the wrapper; merged, it saves and loads identically", async (t) => {
  const dir = await tempDir(t);
  const m = create(CFG, { seed: 1 });
  const wrapped = m.replaceModules(["q_proj", "v_proj"], (x) => new Lora(x as Linear, 2, 0.5, 3));
  assert.equal(wrapped.length, 4);
  const adapted = m.logits(IDS);
  await assert.rejects(m.save(dir), (e: Error) => {
    assert.match(
      e.message,
      /^save: model\.layers\.0\.self_attn\.q_proj \(Lora\) holds base_layer\.weight, lora_A\.weight, lora_B\.weight and lacks weight, which the checkpoint layout of this config\.json cannot hold \(so do 3 more modules: model\.layers\.0\.self_attn\.v_proj, model\.layers\.1\.self_attn\.q_proj, model\.layers\.1\.self_attn\.v_proj\)\. To save, merge it into the weights first \(sr\.nn\.mergeModules\(model\)\)/,
    );
    return true;
  });
  assert.deepEqual(await readdir(dir), [], "nothing written");
  assert.deepEqual(mergeModules(m), wrapped);
  await m.save(dir);
  const back = await load(dir);
  const merged = m.logits(IDS);
  const loaded = back.logits(IDS);
  assert.deepEqual(loaded.dataSync(), merged.dataSync(), "what was saved loads back bit for bit");
  assert.ok(maxAbsDiff(merged.dataSync(), adapted.dataSync()) < 1e-5, "and merging kept the adapted function");
  tf.dispose([adapted, merged, loaded]);
  m.dispose();
  back.dispose();
});

test("save refuses a stand-in that cannot merge, and a wrapper around the head of a tied model", async (t) => {
  const dir = await tempDir(t);
  const m = create(CFG, { seed: 2 });
  const original = m.module("model.layers.1.self_attn") as AttentionModule;
  const mix = tf.variable(tf.zeros([1]));
  class Mixed implements AttentionModule {
    forward(x: tf.Tensor3D, ctx: AttentionContext): tf.Tensor3D {
      return tf.tidy(() => tf.mul(original.forward(x, ctx), tf.add(1, mix)) as tf.Tensor3D);
    }
    *namedChildren(): Iterable<[string, Module]> {
      yield* original.namedChildren?.() ?? [];
    }
    *namedParameters(): Iterable<[string, tf.Variable]> {
      yield ["mix", mix];
    }
  }
  m.replaceModule("model.layers.1.self_attn", new Mixed());
  await assert.rejects(
    m.save(dir),
    /save: model\.layers\.1\.self_attn \(Mixed\) holds mix, .*To save, put back the module it replaced, build the model from a config whose layerTypes name a registered layer type for it/,
  );
  m.replaceModule("model.layers.1.self_attn", original);
  await m.save(dir);
  const tied = create({ ...CFG, tieEmbeddings: true }, { seed: 3 });
  tied.replaceModules(["lm_head"], (x) => new Lora(x as Linear, 2, 1, 5));
  await assert.rejects(tied.save(dir), /save: lm_head \(Lora\) holds lora_A\.weight, lora_B\.weight, which the checkpoint layout/);
  for (const x of [m, tied]) x.dispose();
  mix.dispose();
});
