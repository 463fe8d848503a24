import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { before, test } from "node:test";
import { EvaActivations, type LayerActivations } from "../../../sdk/eva/activations.js";
import { allocateRanks } from "../../../sdk/eva/allocate.js";
import { collect } from "../../../sdk/eva/collect.js";
import { init } from "../../../sdk/eva/init.js";
import { roundHalfEven } from "../../../sdk/eva/options.js";
import { attach } from "../../../sdk/lora/attach.js";
import { LoraLinear } from "../../../sdk/lora/layer.js";
import { DISPLAY } from "../../../sdk/viz/mime.js";
import { logitsOf, maxDiff, perturb, pythonCheck, tiny } from "../lora/helpers.js";
import { tempDir, useCpu } from "../models/helpers.js";

before(useCpu);

test("allocateRanks: the global top-budget ratios, counted per layer; ties to the layer listed first; zeros kept", () => {
  assert.deepEqual(allocateRanks({ a: [0.5, 0.2, 0.1], b: [0.4, 0.3, 0.05], c: [0.01, 0.005, 0.001] }, 4), { a: 2, b: 2, c: 0 });
  assert.deepEqual(allocateRanks({ q: [0.3, 0.1], k: [0.3, 0.1], o: [0.2, 0.15] }, 3), { q: 1, k: 1, o: 1 });
  assert.deepEqual(allocateRanks({ q: [0.3, 0.1], k: [0.3, 0.1] }, 1), { q: 1, k: 0 });
  assert.deepEqual(allocateRanks({ a: [0.5], b: [0.4] }, 0), { a: 0, b: 0 });
  assert.throws(() => allocateRanks({ a: [0.5] }, 2), /eva\.allocateRanks: budget = 2: expected at most the 1 ratios given \(1 layers\)/);
  assert.throws(() => allocateRanks({ a: [0.5] }, -1), /budget = -1: expected an integer >= 0/);
  assert.throws(() => allocateRanks({ a: [0.5, Number.NaN] }, 1), /ratiosByLayer\["a"\]\[1\] = NaN: expected a finite number >= 0/);
});

test("r * rho rounds half to even, as Python's round()", () => {
  assert.deepEqual([0.5, 1.5, 2.5, 3.5, 2.4999, 2.5001, 12].map(roundHalfEven), [0, 2, 2, 4, 2, 3, 12]);
});

/** Activations made by hand: layer -> ratios (components are unit vectors along the axes). */
function handMade(ratios: Record<string, number[]>, d = 8, shares: Record<string, string> = {}): EvaActivations {
  const layers = new Map<string, LayerActivations>();
  for (const [path, rs] of Object.entries(ratios)) {
    layers.set(path, {
      path,
      inFeatures: d,
      maxComponents: rs.length,
      components: rs.map((_, j) => Float64Array.from({ length: d }, (_, f) => (f === j ? 1 : 0))),
      singularValues: Float64Array.from(rs, (r) => 100 * r),
      explainedVarianceRatio: Float64Array.from(rs),
      componentConverged: rs.map(() => true),
      converged: true,
      batches: 3,
      tokens: 300,
      sharesInputWith: shares[path] ?? null,
      rank: 0,
    });
  }
  return new EvaActivations(layers, {
    r: 2,
    rho: 2,
    tau: 0.99,
    maxIters: 10,
    useLabelMask: true,
    labelIgnoreIndex: -100,
    iterations: 3,
    elapsedMs: 1,
    warnings: [],
  });
}

test("init: ranks from the global top r x layers, alpha scaled with the rank, lora_A = the top components (whitened on request)", () => {
  const acts = handMade({
    "model.layers.0.self_attn.q_proj": [0.5, 0.3, 0.1, 0.05],
    "model.layers.0.self_attn.o_proj": [0.4, 0.2, 0.15, 0.1],
    "model.layers.1.self_attn.q_proj": [0.01, 0.005, 0.002, 0.001],
  });
  const e = init(acts, { alpha: 4 });
  // the top 6: q .5, o .4, q .3, o .2, o .15, then q's .1 before o's equal .1 (listed first)
  assert.deepEqual(e.ranks, {
    "model.layers.0.self_attn.q_proj": 3,
    "model.layers.0.self_attn.o_proj": 3,
    "model.layers.1.self_attn.q_proj": 0,
  });
  const o = e.layers.get("model.layers.0.self_attn.o_proj")!;
  assert.equal(o.alpha, 6, "alpha * 3 / 2: alpha / r stays 2");
  assert.equal(init(acts, { alpha: 4, rho: 1 }).layers.get("model.layers.0.self_attn.q_proj")!.alpha, 4, "rank = r: alpha unchanged");
  assert.equal(e.layers.get("model.layers.1.self_attn.q_proj")!.A, null);
  assert.deepEqual(Array.from(o.A!.slice(0, 16)), [1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
  const fixed = init(acts, { alpha: 4, adjustScalingFactors: false, whiten: true });
  assert.equal(fixed.layers.get("model.layers.0.self_attn.o_proj")!.alpha, 4);
  const A = fixed.layers.get("model.layers.0.self_attn.o_proj")!.A!;
  assert.ok(Math.abs(A[0] - 1 / Math.sqrt(40)) < 1e-7 && Math.abs(A[8 + 1] - 1 / Math.sqrt(20)) < 1e-7, "row j / sqrt(S_j)");
  // rho 1 keeps every rank at r
  assert.deepEqual(Object.values(init(acts, { rho: 1 }).ranks), [2, 2, 2]);
  assert.throws(
    () => init(acts, { rho: 3 }),
    /eva\.init: r \* rho = 2 \* 3 asks for 6 components of model\.layers\.0\.self_attn\.q_proj; collect kept 4 \(collect with r \* rho >= 6\)/,
  );
  assert.throws(() => init(acts, { alpha: 0 }), /eva\.init: alpha = 0: expected a number > 0/);
  assert.throws(() => init(acts, { rho: 0.9 }), /eva\.init: rho = 0\.9: expected a number >= 1/);
  assert.throws(() => init({} as EvaActivations), /eva\.init: expected the result of await sr\.eva\.collect/);
});

test("init: a group sharing one input gives its analysed layer the group's largest rank (PEFT's swap)", () => {
  const q = "model.layers.0.self_attn.q_proj";
  const k = "model.layers.0.self_attn.k_proj";
  const same = [0.5, 0.3, 0.1, 0.05];
  const acts = handMade({ [k]: same, [q]: same, "model.layers.0.self_attn.o_proj": [0.45, 0.01, 0.001, 0.0001] }, 8, { [k]: q });
  // top 6 of {k: .5 .3 .1 .05, q: .5 .3 .1 .05, o: .45 ...}: k gets 3 (listed first), q 2, o 1; the swap gives q the 3
  const e = init(acts);
  assert.deepEqual(e.ranks, { [k]: 2, [q]: 3, "model.layers.0.self_attn.o_proj": 1 });
});

test("init displays a table and draws the rank chart (grouped by block, coloured by projection) and the variance chart", () => {
  const acts = handMade({
    "model.layers.0.self_attn.q_proj": [0.5, 0.3, 0.1, 0.05],
    "model.layers.0.mlp.down_proj": [0.4, 0.2, 0.15, 0.1],
    "model.layers.1.self_attn.q_proj": [0.01, 0.005, 0.002, 0.001],
  });
  const e = init(acts);
  const bundle = e[DISPLAY]() as Record<string, string>;
  assert.match(
    bundle["text/plain"],
    /^EVA init: 3 layers, rank budget 6 \(r 2 x 3\), rho 2, alpha 8 scaled with rank; 1 layer at rank 0 stays unwrapped/,
  );
  assert.match(bundle["text/markdown"], /\|model\.layers\.0\.mlp\.down_proj\|0\|down_proj\|3\|12\|75\.0%\|/);
  const rank = e.rankChart().spec as { encoding: Record<string, { field: string }>; data: { values: object[] }; $schema: string };
  assert.match(rank.$schema, /vega-lite\/v5/);
  assert.equal(rank.encoding.x.field, "block");
  assert.equal(rank.encoding.color.field, "projection");
  assert.equal(rank.encoding.xOffset.field, "projection", "bars of one block side by side");
  assert.deepEqual(rank.data.values[1], { block: "0", projection: "down_proj", rank: 3 });
  const v = e.varianceChart().spec as { data: { values: { layer: string; component: number; cumulative: number; atRank: boolean }[] } };
  const down = v.data.values.filter((r) => r.layer === "0.mlp.down_proj");
  assert.deepEqual(
    down.map((r) => Number(r.cumulative.toFixed(4))),
    [0.4, 0.6, 0.75, 0.85],
  );
  assert.deepEqual(
    down.map((r) => r.atRank),
    [false, false, true, false],
  );
});

test("attach with an EVA init: lora_A = components, B = 0, rank 0 left unwrapped; the saved adapter passes the Python check", async (t) => {
  const m = tiny();
  const data = Array.from({ length: 3 }, (_, i) => ({
    ids: [0, 1, 2, 3].map((b) => Array.from({ length: 12 }, (_, tt) => 1 + ((b * 7 + tt * (i + 3)) % 39))),
  }));
  const acts = await collect(m, data, {
    targets: ["q_proj", "v_proj", "o_proj", "down_proj"],
    r: 2,
    rho: 2,
    tau: 0.9,
    maxIters: 6,
    quiet: true,
  });
  const e = init(acts, { alpha: 4 });
  // force a rank-0 layer through a hand-set entry, as a tiny budget would
  const dropped = "model.layers.1.self_attn.o_proj";
  (e.layers as Map<string, { rank: number; alpha: number; A: Float32Array | null }>).set(dropped, { rank: 0, alpha: 0, A: null });
  const dir = await tempDir(t);
  await m.save(join(dir, "base"));
  const before = logitsOf(m);
  const a = attach(m, { init: e });
  assert.equal(maxDiff(logitsOf(m), before), 0, "B = 0: unchanged");
  assert.ok(!(m.module(dropped) instanceof LoraLinear), "rank 0: no adapter");
  const q = "model.layers.0.self_attn.q_proj";
  const layer = m.module(q) as LoraLinear;
  const comps = acts.layers.get(q)!.components;
  assert.equal(layer.r, e.layers.get(q)!.rank);
  const A = layer.lora_A.weight.arraySync() as number[][];
  A.forEach((row, j) => {
    row.forEach((x, f) => {
      assert.ok(Math.abs(x - comps[j][f]) < 1e-7);
    });
  });
  assert.equal(layer.alpha, e.layers.get(q)!.alpha);
  assert.match(a.toString(), /init EVA/);
  assert.throws(() => attach(tiny(), { init: e, r: 3 }), /lora\.attach: r = 3: expected the EVA init's r = 2 \(or leave r out\)/);
  assert.throws(
    () => attach(tiny(), { init: e, rankPattern: { q_proj: 2 } }),
    /rankPattern = .*: expected nothing: the EVA init sets each layer's rank and alpha/,
  );
  a.layers.forEach((l, i) => {
    perturb(l.layer.lora_B.weight, 40 + i);
  });
  await a.save(join(dir, "adapter"));
  const cfg = JSON.parse(await readFile(join(dir, "adapter", "adapter_config.json"), "utf8"));
  assert.equal(cfg.init_lora_weights, "eva");
  assert.deepEqual(cfg.eva_config, {
    adjust_scaling_factors: true,
    label_mask_value: -100,
    rho: 2,
    tau: 0.9,
    use_label_mask: true,
    whiten: false,
  });
  assert.ok(
    !cfg.target_modules.includes(dropped) && cfg.target_modules.includes("model.layers.0.self_attn.o_proj"),
    "the rank-0 layer leaves target_modules",
  );
  for (const [p, r] of Object.entries(cfg.rank_pattern as Record<string, number>)) assert.equal(r, e.layers.get(p)!.rank);
  a.merge().detach();
  await m.save(join(dir, "merged"));
  const got = pythonCheck(join(dir, "adapter"), join(dir, "base", "model.safetensors"), join(dir, "merged", "model.safetensors"));
  assert.equal(got.init_lora_weights, "eva");
  assert.equal(got.modules, [...e.layers.values()].filter((l) => l.rank > 0).length);
});
