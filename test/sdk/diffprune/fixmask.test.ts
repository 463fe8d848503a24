import { test } from "node:test";
import assert from "node:assert/strict";
import { topFractionMasks } from "../../../sdk/diffprune/fixmask.js";
import { mulberry32 } from "../../../sdk/nn/random.js";

const count = (masks: Map<string, Uint8Array>) => [...masks.values()].reduce((s, m) => s + m.reduce((a, b) => a + b, 0), 0);

test("the fixed mask keeps exactly round(fraction * N) entries, the largest |value| globally", () => {
  const rng = mulberry32(3);
  const values = new Map<string, Float32Array>([
    ["model.embed_tokens.weight", Float32Array.from({ length: 300 }, () => rng() - 0.5)],
    ["model.norm.weight", Float32Array.from({ length: 17 }, () => (rng() - 0.5) * 4)], // large: a norm gets many entries
    ["model.layers.0.mlp.up_proj.weight", Float32Array.from({ length: 211 }, () => (rng() - 0.5) * 0.01)], // tiny: none
  ]);
  const all = [...values.values()].flatMap((v) => [...v].map(Math.abs)).sort((a, b) => b - a);
  for (const fraction of [0.005, 0.1, 0.25, 0.5, 1]) {
    const masks = topFractionMasks(values, fraction);
    const k = Math.round(fraction * 528);
    assert.equal(count(masks), k, `fraction ${fraction}`);
    const kept = [...values].flatMap(([n, v]) => [...v].filter((_, i) => masks.get(n)![i]).map(Math.abs));
    const dropped = [...values].flatMap(([n, v]) => [...v].filter((_, i) => !masks.get(n)![i]).map(Math.abs));
    if (k < 528) assert.ok(Math.min(...kept) >= Math.max(...dropped), "every kept |value| is at least every dropped one");
    assert.deepEqual(
      kept.sort((a, b) => b - a),
      all.slice(0, k),
    );
  }
  const tenth = topFractionMasks(values, 0.1);
  assert.equal(
    tenth.get("model.layers.0.mlp.up_proj.weight")!.reduce((a, b) => a + b, 0),
    0,
    "the cutoff is global: small weights lose out",
  );
  assert.equal(tenth.get("model.norm.weight")!.reduce((a, b) => a + b, 0) > 5, true, "norms take part");
});

test("ties at the cutoff still give the exact count (taken in parameter, then index order)", () => {
  const values = new Map([
    ["a", Float32Array.from([0, 0.5, 0.5, 0.1])],
    ["b", Float32Array.from([0.5, 0, -0.5, 0.9])],
  ]);
  const masks = topFractionMasks(values, 0.5); // k = 4: 0.9 and three of the four 0.5s
  assert.equal(count(masks), 4);
  assert.deepEqual([...masks.get("a")!], [0, 1, 1, 0]);
  assert.deepEqual([...masks.get("b")!], [1, 0, 0, 1]);
  const zeros = topFractionMasks(new Map([["z", new Float32Array(10)]]), 0.3);
  assert.equal(count(zeros), 3, "all-zero diffs still give exactly k entries");
});

test("a fraction outside (0, 1] is refused by name", () => {
  const v = new Map([["a", new Float32Array(4)]]);
  for (const bad of [0, -0.1, 1.5, Number.NaN])
    assert.throws(() => topFractionMasks(v, bad), /sparsity = .*: expected a fraction in \(0, 1\]/);
});
