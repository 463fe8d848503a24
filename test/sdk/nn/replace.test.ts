import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { create } from "../../../sdk/models/index.js";
import { Linear } from "../../../sdk/nn/linear.js";
import type { LinearModule, Module } from "../../../sdk/nn/module.js";
import { groupPaths } from "../../../sdk/nn/paths.js";
import { mergeModules, replaceModules, type Mergeable } from "../../../sdk/nn/replace.js";
import { useCpu } from "../models/helpers.js";

before(useCpu);

const tiny = (nLayers = 3) => create({ family: "llama", vocabSize: 40, dModel: 16, nLayers, nHeads: 2, dFf: 24 }, { seed: 1 });

/** y = base(x) + scale * x, as a wrapper that can merge (only square linears). */
class Plus implements LinearModule, Mergeable {
  constructor(
    readonly base_layer: Linear,
    readonly scale: number,
  ) {}
  get inFeatures() {
    return this.base_layer.inFeatures;
  }
  get outFeatures() {
    return this.base_layer.outFeatures;
  }
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => tf.add(this.base_layer.forward(x), tf.mul(x, this.scale)));
  }
  *namedChildren(): Iterable<[string, Module]> {
    yield ["base_layer", this.base_layer];
  }
  merge(): Module {
    const w = this.base_layer.weight;
    tf.tidy(() => w.assign(tf.add(w, tf.mul(tf.eye(w.shape[0], w.shape[1]), this.scale))));
    return this.base_layer;
  }
}

test("groupPaths folds layer indices into ranges and keeps first-seen order", () => {
  const paths = ["model", "model.layers", ...[0, 1, 2].flatMap((i) => [`model.layers.${i}`, `model.layers.${i}.mlp`]), "lm_head"];
  assert.deepEqual(groupPaths(paths), ["model", "model.layers", "model.layers.{0..2}", "model.layers.{0..2}.mlp", "lm_head"]);
  assert.deepEqual(groupPaths(["a.0.b", "a.2.b", "a.5.b"]), ["a.{0,2,5}.b"]);
  assert.deepEqual(groupPaths(["x.1"]), ["x.1"]);
  const many = Array.from({ length: 100 }, (_, i) => `p${i}`);
  assert.equal(groupPaths(many, 10).length, 11);
  assert.equal(groupPaths(many, 10)[10], "... (90 more)");
});

test("replaceModules: a RegExp, PEFT-style names and a predicate select modules; returns the paths", () => {
  const m = tiny();
  const before = m.logits([[1, 2, 3, 4]]);
  const byRegex = replaceModules(m, /layers\.[02]\.self_attn\.o_proj$/, (x) => new Plus(x as Linear, 0));
  assert.deepEqual(byRegex, ["model.layers.0.self_attn.o_proj", "model.layers.2.self_attn.o_proj"]);
  const byName = replaceModules(m, ["q_proj", "v_proj"], (x) => new Plus(x as Linear, 0));
  assert.deepEqual(
    byName,
    [0, 1, 2].flatMap((i) => [`model.layers.${i}.self_attn.q_proj`, `model.layers.${i}.self_attn.v_proj`]),
  );
  const seen: string[] = [];
  const byPredicate = replaceModules(
    m,
    (path, mod) => mod instanceof Linear && path.endsWith("o_proj") && path.includes(".1."),
    (x, path) => {
      seen.push(path);
      return new Plus(x as Linear, 0);
    },
  );
  assert.deepEqual(byPredicate, ["model.layers.1.self_attn.o_proj"]);
  assert.deepEqual(seen, byPredicate);
  assert.ok(m.module("model.layers.1.self_attn.q_proj") instanceof Plus);
  assert.ok(m.parameters().has("model.layers.1.self_attn.q_proj.base_layer.weight"));
  const after = m.logits([[1, 2, 3, 4]]);
  assert.deepEqual(after.dataSync(), before.dataSync(), "scale 0 wrappers leave the function bit for bit");
  tf.dispose([before, after]);
  m.dispose();
});

test("replaceModules wraps the outermost match only, so a wrapper's insides are not wrapped again", () => {
  const m = tiny(1);
  const first = replaceModules(m, /q_proj/, (x) => new Plus(x as Linear, 0));
  assert.deepEqual(first, ["model.layers.0.self_attn.q_proj"]);
  // /q_proj/ also matches "q_proj.base_layer" now: the outer wrapper is chosen, not its base
  const second = replaceModules(m, /q_proj/, (x) => new Plus(x as unknown as Linear, 0));
  assert.deepEqual(second, ["model.layers.0.self_attn.q_proj"]);
  assert.ok((m.module("model.layers.0.self_attn.q_proj") as Plus).base_layer instanceof Plus);
  m.dispose();
});

test("replaceModules: no match lists the modules grouped by layer; a list entry that matches nothing is named", () => {
  const m = create({ family: "llama", vocabSize: 40, dModel: 16, nLayers: 32, nHeads: 2, dFf: 24 });
  assert.throws(
    () => replaceModules(m, /qproj/, (x) => x),
    (e: Error) => {
      assert.match(e.message, /^replaceModules: \/qproj\/ matches no module\. The modules are:\n/);
      assert.match(e.message, /\n {2}model\.layers\.\{0\.\.31\}\.self_attn\.q_proj\n/);
      assert.ok(e.message.split("\n").length < 30, `${e.message.split("\n").length} lines for 32 layers`);
      return true;
    },
  );
  assert.throws(() => replaceModules(m, ["q_proj", "v_porj"], (x) => x), /replaceModules: \["v_porj"\] match no module/);
  assert.throws(() => replaceModules(m, /q_proj/, "nope" as never), /wrap = nope: expected a function/);
  assert.throws(
    () => replaceModules(m, ["model.layers.0.mlp.up_proj"], () => new Linear(tf.variable(tf.zeros([3, 16])) as tf.Variable<tf.Rank.R2>)),
    /outFeatures 3 does not match the module it replaces \(24\)/,
  );
  m.dispose();
});

test("mergeModules folds every mergeable wrapper back; the function is kept", () => {
  const m = tiny(2);
  const ids = [[5, 6, 7, 8, 9]];
  replaceModules(m, ["o_proj"], (x) => new Plus(x as Linear, 0.5));
  const wrapped = m.logits(ids);
  assert.deepEqual(mergeModules(m), ["model.layers.0.self_attn.o_proj", "model.layers.1.self_attn.o_proj"]);
  assert.ok(m.module("model.layers.0.self_attn.o_proj") instanceof Linear);
  const merged = m.logits(ids);
  const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(wrapped, merged))).dataSync()[0]);
  assert.ok(diff < 1e-5, `merged differs by ${diff}`);
  assert.deepEqual(mergeModules(m), [], "nothing left to merge");
  assert.throws(() => mergeModules(m, ["q_proj"]), /model\.layers\.0\.self_attn\.q_proj \(Linear\).*offers no merge\(\)/);
  tf.dispose([wrapped, merged]);
  m.dispose();
});
