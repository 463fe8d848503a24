import assert from "node:assert/strict";
import { before, test } from "node:test";
import * as tf from "@tensorflow/tfjs-core";
import { attach } from "../../../sdk/lora/attach.js";
import { LoraLinear } from "../../../sdk/lora/layer.js";
import type { Linear } from "../../../sdk/nn/linear.js";
import { mergeModules } from "../../../sdk/nn/replace.js";
import { create } from "../../../sdk/models/index.js";
import { fit } from "../../../sdk/train/fit.js";
import { DISPLAY } from "../../../sdk/viz/mime.js";
import { tempDir, useCpu } from "../models/helpers.js";
import { IDS, logitsOf, maxDiff, mergedRef, perturb, tiny } from "./helpers.js";

before(useCpu);

const Q = "model.layers.0.self_attn.q_proj";
const lora = (m: ReturnType<typeof tiny>, path: string) => m.module(path) as LoraLinear;
const weightOf = (m: ReturnType<typeof tiny>, path: string) => (m.module(path) as Linear).weight.dataSync().slice();

test("kaiming (PEFT's default): A uniform in +-1/sqrt(in), B zero, the model unchanged, only the adapter trains", () => {
  const m = tiny();
  const before = logitsOf(m);
  const total = m.numParams();
  const a = attach(m, { targets: ["q_proj", "v_proj"], r: 4, alpha: 8 });
  assert.deepEqual(
    a.layers.map((l) => l.path),
    [
      "model.layers.0.self_attn.q_proj",
      "model.layers.0.self_attn.v_proj",
      "model.layers.1.self_attn.q_proj",
      "model.layers.1.self_attn.v_proj",
    ],
  );
  const l = lora(m, Q);
  assert.ok(l instanceof LoraLinear);
  assert.equal(l.scaling, 2);
  const A = l.lora_A.weight.dataSync();
  const bound = 1 / Math.sqrt(16);
  assert.ok(A.every((x) => Math.abs(x) <= bound));
  assert.ok(Math.max(...A) > 0.8 * bound && Math.min(...A) < -0.8 * bound, "A spreads over the range");
  assert.ok(l.lora_B.weight.dataSync().every((x) => x === 0));
  assert.equal(maxDiff(logitsOf(m), before), 0, "B = 0: the logits are exactly the base model's");
  // trainable: lora_A and lora_B only, r (in + out) each
  const trainable = [...m.parameters()].filter(([, v]) => v.trainable).map(([n]) => n);
  assert.ok(trainable.every((n) => /\.lora_[AB]\.weight$/.test(n)));
  assert.equal(trainable.length, 8);
  assert.equal(m.numParams("trainable"), a.numParams());
  assert.equal(a.numParams(), 2 * (4 * (16 + 16)) + 2 * (4 * (16 + 8)));
  assert.equal(m.numParams(), total + a.numParams());
  // parameter names follow PEFT's module names
  assert.ok(m.parameters().has(`${Q}.base_layer.weight`));
  assert.ok(m.parameters().has(`${Q}.lora_A.weight`));
  a.detach();
});

test("the forward is base + (alpha / r) B A x: a plain model holding W + s B A gives the same logits; rsLoRA scales by alpha / sqrt(r)", () => {
  for (const useRslora of [false, true]) {
    const m = tiny();
    const ref = tiny();
    const a = attach(m, { targets: /self_attn\.(q|o)_proj$|down_proj/, r: 3, alpha: 6, useRslora });
    const s = useRslora ? 6 / Math.sqrt(3) : 2;
    a.layers.forEach((l, i) => {
      perturb(l.layer.lora_B.weight, 100 + i);
      assert.equal(l.layer.scaling, s);
    });
    for (const { path, layer } of a.layers) {
      const [out, inF] = [layer.outFeatures, layer.inFeatures];
      const W = mergedRef(
        layer.base_layer.weight.dataSync(),
        layer.lora_B.weight.dataSync(),
        layer.lora_A.weight.dataSync(),
        out,
        inF,
        3,
        s,
      );
      (ref.module(path) as Linear).weight.assign(tf.tensor(Float32Array.from(W), [out, inF]));
    }
    const d = maxDiff(logitsOf(m), logitsOf(ref));
    assert.ok(d < 1e-5, `rslora=${useRslora}: logits differ by ${d}`);
    a.detach();
  }
});

test("merge / unmerge / detach: merged forward equals the adapter's, unmerge restores the bits, detach puts the linears back", async () => {
  const m = tiny();
  const original = weightOf(m, Q);
  const baseModule = m.module(Q);
  const trainableBefore = new Map([...m.parameters()].map(([n, v]) => [n, v.trainable]));
  m.freeze("model.embed_tokens"); // a flag attach must give back as it found it
  trainableBefore.set("model.embed_tokens.weight", false);
  const a = attach(m, { targets: ["q_proj", "k_proj", "gate_proj"], r: 2, alpha: 4 });
  a.layers.forEach((l, i) => {
    perturb(l.layer.lora_B.weight, 7 + i);
  });
  const adapted = logitsOf(m);
  a.merge();
  assert.equal(a.state, "merged");
  assert.ok(maxDiff(logitsOf(m), adapted) < 1e-5);
  assert.notDeepEqual(weightOf(m, `${Q}.base_layer`), original);
  assert.equal(lora(m, Q).lora_A.weight.trainable, false, "merged: the factors do not train");
  assert.throws(() => a.merge(), /merge\(\) needs the adapter attached; it is merged/);
  a.unmerge();
  assert.deepEqual(weightOf(m, `${Q}.base_layer`), original, "unmerge: bit for bit");
  assert.equal(maxDiff(logitsOf(m), adapted), 0);
  assert.equal(lora(m, Q).lora_B.weight.trainable, true);
  // detach without merge: the original modules and weights, the original trainable flags
  const nTensors = tf.memory().numTensors;
  a.detach();
  assert.equal(m.module(Q), baseModule);
  assert.deepEqual(weightOf(m, Q), original);
  assert.deepEqual(new Map([...m.parameters()].map(([n, v]) => [n, v.trainable])), trainableBefore);
  assert.equal(tf.memory().numTensors, nTensors - 2 * a.layers.length, "detach frees lora_A and lora_B");
  await assert.rejects(a.save("/nonexistent"), /save\(\) needs the adapter attached or merged; it is detached/);
  // detach after merge keeps the fine-tuned weights (merge and unload)
  const m2 = tiny();
  const b = attach(m2, { targets: ["q_proj"], r: 2 });
  perturb(lora(m2, Q).lora_B.weight, 1);
  const tuned = logitsOf(m2);
  b.merge().detach();
  assert.ok(!(m2.module(Q) instanceof LoraLinear));
  assert.ok(maxDiff(logitsOf(m2), tuned) < 1e-5);
});

test("sr.nn.mergeModules folds LoRA layers (the core's seam); save refuses wrappers and works after merging", async (t) => {
  const m = tiny();
  const a = attach(m, { targets: ["v_proj"], r: 2 });
  perturb(lora(m, "model.layers.1.self_attn.v_proj").lora_B.weight, 3);
  const adapted = logitsOf(m);
  const dir = await tempDir(t);
  await assert.rejects(m.save(dir), /save: model\.layers\.0\.self_attn\.v_proj \(LoraLinear\) holds .*merge it into the weights first/);
  assert.deepEqual(mergeModules(m), ["model.layers.0.self_attn.v_proj", "model.layers.1.self_attn.v_proj"]);
  assert.ok(maxDiff(logitsOf(m), adapted) < 1e-5);
  await m.save(dir);
  assert.throws(() => a.merge(), /model\.layers\.0\.self_attn\.v_proj is no longer this adapter's LoraLinear/);
});

test("dropout acts in training mode only, on the adapter's input: with B = 0 the output is the base's in both modes", () => {
  const m = tiny();
  const base = logitsOf(m);
  const a = attach(m, { targets: ["q_proj"], r: 4, dropout: 0.5 });
  m.train();
  assert.equal(maxDiff(logitsOf(m), base), 0, "B = 0: dropout cannot show");
  a.layers.forEach((l, i) => {
    perturb(l.layer.lora_B.weight, 50 + i);
  });
  const t1 = logitsOf(m);
  const t2 = logitsOf(m);
  assert.ok(maxDiff(t1, t2) > 1e-4, "training: a fresh mask per forward");
  m.eval();
  const e1 = logitsOf(m);
  assert.equal(maxDiff(e1, logitsOf(m)), 0, "evaluation: deterministic");
  a.detach();
});

test("fit trains the adapter only: the base weights stay bit for bit, lora_B moves", async () => {
  const m = tiny();
  const weights = new Map([...m.parameters()].map(([n, v]) => [n, v.dataSync().slice()]));
  const a = attach(m, { targets: ["q_proj", "v_proj", "down_proj"], r: 2, alpha: 4 });
  const labels = IDS.map((r) => r.map((x, t) => (t < 3 ? -100 : x)));
  await fit(m, [{ ids: IDS, labels }], { steps: 3, lr: 0.05, quiet: true });
  for (const [n, w] of weights) {
    const now = m.parameters().get(n) ?? m.parameters().get(n.replace(/\.weight$/, ".base_layer.weight"));
    assert.deepEqual(now!.dataSync(), w, `${n} unchanged`);
  }
  assert.ok(
    lora(m, Q)
      .lora_B.weight.dataSync()
      .some((x) => x !== 0),
    "lora_B trained",
  );
  a.detach();
});

test("targets: names, RegExp, predicate; a name matching no linear lists the linear layers; a second attach is refused", () => {
  const m = tiny();
  assert.throws(
    () => attach(m, { targets: ["q_proj", "v_porj"] }),
    /lora\.attach: targets entry "v_porj" matches no linear layer\. The linear layers are names q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj, lm_head; paths:\n {2}model\.layers\.\{0\.\.1\}\.self_attn\.q_proj/,
  );
  assert.throws(
    () => attach(m, { targets: ["self_attn"] }),
    /"self_attn" matches no linear layer \(it names model\.layers\.0\.self_attn, a SelfAttention, not a linear layer\)/,
  );
  assert.throws(() => attach(m, { targets: /nothing/ }), /targets \/nothing\/ match no linear layer\. The linear layers are names q_proj/);
  const a = attach(m, { targets: (p) => p.startsWith("model.layers.1.mlp") });
  assert.deepEqual(
    a.layers.map((l) => l.path),
    ["model.layers.1.mlp.gate_proj", "model.layers.1.mlp.up_proj", "model.layers.1.mlp.down_proj"],
  );
  assert.throws(
    () => attach(m, { targets: ["q_proj"] }),
    /the model already has LoRA layers \(model\.layers\.1\.mlp\.gate_proj, \.\.\.\); detach that adapter first/,
  );
  a.detach();
  // a RegExp selects the linears among the modules it matches
  const b = attach(m, { targets: /layers\.0\.self_attn/ });
  assert.equal(b.layers.length, 4);
  b.detach();
});

test("rankPattern and alphaPattern follow PEFT's pattern keys (a regex matching the end of the path, first key wins)", () => {
  const m = tiny();
  const a = attach(m, {
    targets: ["q_proj", "v_proj"],
    r: 4,
    alpha: 8,
    rankPattern: { "layers\\.1\\.self_attn\\.q_proj": 2, q_proj: 6 },
    alphaPattern: { v_proj: 3 },
  });
  const got = Object.fromEntries(a.layers.map((l) => [l.path.replace("model.layers.", ""), [l.layer.r, l.layer.alpha]]));
  assert.deepEqual(got, {
    "0.self_attn.q_proj": [6, 8],
    "0.self_attn.v_proj": [4, 3],
    "1.self_attn.q_proj": [2, 8],
    "1.self_attn.v_proj": [4, 3],
  });
  a.detach();
});

test("gaussian: A ~ N(0, 1/r^2), B zero", () => {
  const m = tiny();
  const a = attach(m, {
    targets: ["up_proj", "down_proj", "gate_proj", "q_proj", "k_proj", "v_proj", "o_proj"],
    r: 4,
    init: "gaussian",
    seed: 11,
  });
  const all = a.layers.flatMap((l) => Array.from(l.layer.lora_A.weight.dataSync()));
  const mean = all.reduce((s, x) => s + x, 0) / all.length;
  const std = Math.sqrt(all.reduce((s, x) => s + (x - mean) ** 2, 0) / all.length);
  assert.ok(Math.abs(std - 0.25) < 0.02, `std ${std} over ${all.length} values`);
  assert.ok(Math.abs(mean) < 0.02);
  assert.ok(a.layers.every((l) => l.layer.lora_B.weight.dataSync().every((x) => x === 0)));
  a.detach();
});

test("PiSSA and OLoRA: the base becomes W - s B A, the model starts unchanged, detach gives the original weight back bit for bit", () => {
  for (const init of ["pissa", "olora"] as const) {
    const m = tiny();
    const before = logitsOf(m);
    const W = weightOf(m, Q);
    const a = attach(m, { targets: ["q_proj", "down_proj"], r: 3, alpha: 6, init });
    const l = lora(m, Q);
    const res = l.base_layer.weight.dataSync();
    const back = mergedRef(res, l.lora_B.weight.dataSync(), l.lora_A.weight.dataSync(), 16, 16, 3, 2);
    assert.ok(maxDiff(back, W) < 1e-6, `${init}: residual + s B A = W`);
    assert.ok(maxDiff(res, W) > 1e-3, `${init}: the base weight changed`);
    assert.ok(maxDiff(logitsOf(m), before) < 1e-5, `${init}: same logits at the start`);
    if (init === "olora") {
      // B = Q[:, :r] has orthonormal columns, A = R[:r] is upper trapezoidal
      const B = l.lora_B.weight.arraySync() as number[][];
      for (let p = 0; p < 3; p++)
        for (let q = 0; q < 3; q++) {
          const dot = B.reduce((s, row) => s + row[p] * row[q], 0);
          assert.ok(Math.abs(dot - (p === q ? 1 : 0)) < 1e-5);
        }
      const A = l.lora_A.weight.arraySync() as number[][];
      assert.ok(A[1][0] === 0 && A[2][0] === 0 && A[2][1] === 0);
    } else {
      // PiSSA: B^T B and A A^T are both diag(S_r / s): the factors split the singular values evenly
      const B = l.lora_B.weight.arraySync() as number[][];
      const A = l.lora_A.weight.arraySync() as number[][];
      for (let k = 0; k < 3; k++) {
        const bb = B.reduce((s, row) => s + row[k] * row[k], 0);
        const aa = A[k].reduce((s, x) => s + x * x, 0);
        assert.ok(Math.abs(bb - aa) < 1e-5 * aa, `PiSSA: |B_k|^2 = |A_k|^2 = S_k / s`);
      }
    }
    assert.match(a.toString(), new RegExp(`${init === "pissa" ? "PiSSA" : "OLoRA"} changed the base weight of every wrapped layer`));
    a.detach();
    assert.deepEqual(weightOf(m, Q), W, `${init}: detach restores the original`);
  }
});

test("PiSSA refuses a rank above min(out, in) and a tied weight, before touching the model", () => {
  const m = tiny();
  const W = weightOf(m, "model.layers.0.self_attn.k_proj");
  assert.throws(
    () => attach(m, { targets: ["q_proj", "k_proj"], r: 9, init: "pissa" }),
    /pissa: r = 9 exceeds min\(out, in\) = 8 of a \[8, 16\] weight/,
  );
  assert.deepEqual(weightOf(m, "model.layers.0.self_attn.k_proj"), W);
  assert.ok(!(m.module(Q) instanceof LoraLinear), "nothing was wrapped");
  const tied = create({ family: "llama", vocabSize: 40, dModel: 16, nLayers: 1, nHeads: 2, dFf: 24, tieEmbeddings: true }, { seed: 1 });
  assert.throws(
    () => attach(tied, { targets: ["lm_head", "q_proj"], r: 2, init: "olora" }),
    /init "olora" changes the base weight of lm_head, which is tied \(model\.embed_tokens\.weight = lm_head\.weight\); leave it out of targets/,
  );
  const k = attach(tied, { targets: ["lm_head"], r: 2 });
  k.detach();
});

test("bad options name the field, the value and what is allowed", () => {
  const m = tiny();
  const bad: [object, RegExp][] = [
    [{ targets: ["q_proj"], r: 0 }, /lora\.attach: r = 0: expected an integer >= 1/],
    [{ targets: ["q_proj"], alpha: -1 }, /alpha = -1: expected a number > 0/],
    [{ targets: ["q_proj"], dropout: 1 }, /dropout = 1: expected a number in \[0, 1\)/],
    [
      { targets: ["q_proj"], init: "lora" },
      /init = "lora": expected one of "kaiming", "gaussian", "pissa", "olora" or the result of sr\.eva\.init/,
    ],
    [{ targets: ["q_proj"], init: "eva" }, /\(EVA: pass the result of sr\.eva\.init\(acts\), not the string\)/],
    [{ r: 4 }, /targets = undefined: expected the layers to wrap/],
    [{ targets: ["q_proj"], rankPattern: { q_proj: 0 } }, /rankPattern\["q_proj"\] = 0: expected an integer >= 1/],
    [{ targets: ["q_proj"], rankPattern: { "q_proj(": 2 } }, /rankPattern\["q_proj\("\] = "q_proj\(": expected a valid regular expression/],
    [{ targets: ["q_proj"], alphaPattern: { q_proj: "big" } }, /alphaPattern\["q_proj"\] = "big": expected a number > 0/],
    [{ targets: ["q_proj"], useRslora: 1 }, /useRslora = 1: expected true or false/],
  ];
  for (const [o, re] of bad) assert.throws(() => attach(m, o as never), re);
  assert.ok(!(m.module(Q) instanceof LoraLinear));
});

test("the adapter displays a table of its layers (rank, alpha, scaling, trainable) with a summary line", () => {
  const m = tiny();
  const a = attach(m, { targets: ["q_proj"], r: 2, alpha: 4, rankPattern: { "layers\\.1\\.self_attn\\.q_proj": 4 } });
  const bundle = a[DISPLAY]() as Record<string, string>;
  assert.match(
    bundle["text/plain"],
    /^LoRA adapter \(attached\): 2 layers, init kaiming \(PEFT's default\), r 2 \(per layer below\), alpha 4, dropout 0; 192 trainable parameters, 3\.56% of 5\.4K/,
  );
  assert.match(bundle["text/markdown"], /\|model\.layers\.1\.self_attn\.q_proj\|16\|16\|4\|4\|1\|128\|/);
  assert.match(bundle["text/html"], /<table>/);
  a.detach();
});
