// Win-and-Tie against its definition: C_alpha counted directly from A_S >= (1 - alpha) A_T, alpha*
// as the smallest alpha whose C_alpha reaches the threshold; the closed form's edge cases (teacher
// scores <= 0, a student below zero), lower-is-better scores flipped, the threshold as a parameter,
// task tables that differ, and the display (a table and a Vega-Lite chart of C_alpha).

import { test } from "node:test";
import assert from "node:assert/strict";
import { taskAlpha, winTie } from "../../../sdk/eval/index.js";

/** C_alpha from the definition, without the closed form. */
function rateByDefinition(s: Record<string, number>, t: Record<string, number>, alpha: number): number {
  const names = Object.keys(t);
  return names.filter((b) => s[b]! >= (1 - alpha) * t[b]!).length / names.length;
}

function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

test("C_alpha and alpha* match the definition on random score tables (closed form = scan)", () => {
  const r = rng(7);
  for (let trial = 0; trial < 200; trial++) {
    const n = 1 + Math.floor(r() * 9);
    const t: Record<string, number> = {};
    const s: Record<string, number> = {};
    for (let b = 0; b < n; b++) {
      t[`task${b}`] = r() < 0.1 ? 0 : r();
      s[`task${b}`] = r() < 0.2 ? t[`task${b}`]! : r();
    }
    const threshold = [0.5, 0.25, 0.75, 1][trial % 4]!;
    const rep = winTie(s, t, { threshold });
    // C_alpha only changes at the alpha_b: probing just below and just above each covers every
    // alpha (exactly at a breakpoint, (1 - alpha) A_T rounds either way of A_S in floating point)
    const cuts = [...new Set(Object.keys(t).map((b) => taskAlpha(s[b]!, t[b]!)))].filter(Number.isFinite).sort((a, b) => a - b);
    const above = (c: number) => c * (1 + 1e-9) + 1e-12;
    const below = (c: number) => c * (1 - 1e-9) - 1e-12;
    const probes = [0, ...cuts.flatMap((c) => (c > 0 ? [below(c), above(c)] : [above(c)])), 0.37, 2];
    for (const a of probes) {
      if (a !== 0) assert.equal(rep.rate(a), rateByDefinition(s, t, a), `C_${a} in trial ${trial}`);
    }
    // alpha* by scanning the breakpoints with the definition
    const reached = cuts.filter((c) => rateByDefinition(s, t, above(c)) >= threshold);
    const want =
      rateByDefinition(s, t, 0) >= threshold || threshold === 0 ? 0 : reached.length ? Math.min(...reached) : Number.POSITIVE_INFINITY;
    if (Number.isFinite(want)) assert.ok(Math.abs(rep.alphaStar - want) <= 1e-12, `alpha* ${rep.alphaStar} vs ${want} in trial ${trial}`);
    else assert.equal(rep.alphaStar, want);
    if (rep.alphaStar > 0 && Number.isFinite(rep.alphaStar))
      assert.ok(rateByDefinition(s, t, below(rep.alphaStar)) < threshold, "just below alpha*, not enough tasks");
    assert.equal(rep.lossless, rateByDefinition(s, t, 0) >= threshold);
  }
});

test("a student at 95% of the teacher is won at alpha = 0.05 exactly, as the definition says", () => {
  // 190 and 189 of 200 examples; unrounded, 1 - 0.95 = 0.050000000000000044 lost the win at 0.05
  const student = { recall: 190 / 200, sort: 193 / 200, count: 189 / 200, copy: 0.2 };
  const teacher = { recall: 1, sort: 0.99, count: 1, copy: 1 };
  assert.equal(rateByDefinition(student, teacher, 0.05), 0.5, "recall and sort are won at 0.05 by the definition");
  const rep = winTie(student, teacher);
  assert.equal(rep.rate(0.05), 0.5);
  assert.equal(rep.alphaStar, 0.05);
  assert.ok(rep.alphaStar <= 0.05);
  assert.equal(taskAlpha(189 / 200, 1), 0.055);
  assert.equal(taskAlpha(1.05, 1, true), 0.05, "lower is better: 5% above the teacher's loss");
});

test("the closed form's cases: A_T <= 0, and a student below zero", () => {
  assert.equal(taskAlpha(0.9, 1), 0.1, "to 12 decimals: 1 - 0.9 is 0.09999999999999998 in floating point");
  assert.equal(taskAlpha(1.2, 1), 0, "above the teacher: won at alpha 0");
  assert.equal(taskAlpha(-0.5, 1), 1.5, "A_S < 0 < A_T: won only past alpha 1, where (1 - alpha) A_T < 0");
  assert.equal(taskAlpha(0, 0), 0, "A_T = 0: A_S >= 0 wins at once");
  assert.equal(taskAlpha(-0.1, 0), Number.POSITIVE_INFINITY, "A_T = 0, A_S < 0: (1 - alpha) * 0 = 0 > A_S for every alpha");
  assert.equal(taskAlpha(-0.5, -1), 0, "A_T < 0, A_S >= A_T: won at alpha 0");
  assert.equal(taskAlpha(-2, -1), Number.POSITIVE_INFINITY, "A_T < 0, A_S < A_T: the tolerance (1 - alpha) A_T only rises");
  const rep = winTie({ a: 0.5, b: -1, c: 0.8 }, { a: 1, b: 0, c: 0.8 });
  assert.deepEqual(rep.recovery, { a: 0.5, b: null, c: 1 });
  assert.equal(rep.alphaStar, 0.5, "2 of 3 tasks needed: c at 0, a at 0.5");
  assert.equal(rep.rate(10), 2 / 3, "b is never won");
  const none = winTie({ a: -1, b: -1 }, { a: 0, b: 0 });
  assert.equal(none.alphaStar, Number.POSITIVE_INFINITY);
  assert.match(none.summary(), /alpha\* = inf/);
});

test("lower-is-better scores are flipped: the student wins when A_S <= (1 + alpha) A_T", () => {
  const rep = winTie({ loss: 2.2, acc: 0.9, ppl: 1.5 }, { loss: 2.0, acc: 1.0, ppl: 3 }, { lowerIsBetter: ["loss", "ppl"] });
  const row = (task: string) => rep.rows.find((r) => r.task === task)!;
  assert.ok(Math.abs(row("loss").alpha - 0.1) < 1e-12, `loss alpha ${row("loss").alpha}`);
  assert.equal(row("ppl").alpha, 0, "half the teacher's perplexity is a win");
  assert.ok(Math.abs(row("loss").recovery! - 2 / 2.2) < 1e-12, "recovery T/S below 1 when worse");
  assert.equal(row("ppl").recovery, 2);
  assert.equal(taskAlpha(0.5, 0, true), Number.POSITIVE_INFINITY, "lower-is-better, A_T = 0, A_S > 0: never won");
  assert.throws(() => winTie({ a: 1 }, { a: 1 }, { lowerIsBetter: ["b"] }), /lowerIsBetter = \["b"\]: expected task names among a/);
});

test("the threshold is a parameter: 1 needs every task, 0 none", () => {
  const s = { a: 0.9, b: 0.5, c: 1 };
  const t = { a: 1, b: 1, c: 1 };
  assert.ok(Math.abs(winTie(s, t, { threshold: 1 }).alphaStar - 0.5) < 1e-12);
  assert.equal(winTie(s, t, { threshold: 0 }).alphaStar, 0);
  assert.ok(Math.abs(winTie(s, t).alphaStar - 0.1) < 1e-12, "default 0.5: 2 of 3 tasks");
  assert.equal(winTie(s, t, { threshold: 1 / 3 }).alphaStar, 0, "1 of 3 tasks: c, at 0");
  assert.throws(() => winTie(s, t, { threshold: 1.5 }), /winTie: threshold = 1\.5: expected a number in \[0, 1\]/);
  assert.throws(() => winTie(s, t).rate(-1), /alpha = -1: expected a number >= 0/);
});

test("score tables naming different tasks are an error naming the difference", () => {
  assert.throws(
    () => winTie({ copy: 1, sort: 0.5 }, { copy: 1, add: 0.7 }),
    /winTie: the score tables name different tasks: only the student has sort; only the teacher has add/,
  );
  assert.throws(() => winTie({}, {}), /teacherScores = \{\}: expected scores of at least one task/);
  assert.throws(() => winTie({ a: Number.NaN }, { a: 1 }), /studentScores\.a = NaN: expected a finite number/);
});

test("takes a suite's score rows, and displays a table with a Vega-Lite chart of C_alpha", () => {
  const rep = winTie(
    {
      rows: [
        { task: "copy", accuracy: 0.95 },
        { task: "sort", accuracy: 0.6 },
      ],
    },
    [
      { task: "copy", accuracy: 1 },
      { task: "sort", accuracy: 0.8 },
    ],
  );
  assert.ok(Math.abs(rep.alphaStar - 0.05) < 1e-12);
  const bundle = (rep as unknown as Record<symbol, () => Record<string, unknown>>)[Symbol.for("Jupyter.display")]!();
  const spec = bundle["application/vnd.vegalite.v5+json"] as { layer: { data: { values: { alpha: number; rate: number }[] } }[] };
  assert.ok(spec.layer.length === 2, "the curve and the threshold rule");
  assert.deepEqual(
    spec.layer[0]!.data.values.map((p) => p.rate),
    [0, 0.5, 1, 1],
  );
  assert.match(String(bundle["text/html"]), /<table/);
  assert.match(String(bundle["text/markdown"]), /alpha\* = 0\.05/);
  // in parts, as Stillroom's kernel shows it: the summary and table, then the chart, each alone
  const parts = (rep as unknown as Record<symbol, () => Record<string, unknown>[]>)[Symbol.for("stillroom.displayParts")]!();
  assert.equal(parts.length, 2);
  assert.match(String(parts[0]!["text/html"]), /Win-and-Tie<\/b>: alpha\* = 0\.05[\s\S]*<table/);
  assert.ok(!("application/vnd.vegalite.v5+json" in parts[0]!), "the table's output has no chart to outrank it");
  assert.deepEqual(parts[1]!["application/vnd.vegalite.v5+json"], spec);
  assert.ok(!("text/html" in parts[1]!) && !("text/markdown" in parts[1]!), "the chart's output has no table to outrank it");
});
