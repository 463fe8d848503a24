import { test } from "node:test";
import assert from "node:assert/strict";
import { AGE_GROUPS, GENDERS, PROFESSIONS, bios } from "../../../sdk/tasks/bios.js";
import type { BiasExample } from "../../../sdk/tasks/bias-data.js";
import { words } from "../../../sdk/tasks/bias-tokenizer.js";

const all = (d: ReturnType<typeof bios>) => [...d.train, ...d.val, ...d.test];

/** Share of examples whose attribute is its profession's stereotyped group. */
const stereotyped = (xs: BiasExample[], a: "gender" | "age") =>
  xs.filter((e) => e.attributes[a] === PROFESSIONS[e.label][a]).length / xs.length;

test("correlation sets how often the attributes follow the profession: P(stereotyped) = (1 + c) / 2", () => {
  const n = 6000;
  for (const c of [0, 0.5, 0.9, 1]) {
    const xs = all(bios({ n, seed: 7, correlation: c }));
    const p = (1 + c) / 2;
    const se = Math.sqrt((p * (1 - p)) / n);
    for (const a of ["gender", "age"] as const) {
      const seen = stereotyped(xs, a);
      assert.ok(Math.abs(seen - p) <= 4 * se + 1e-12, `correlation ${c}, ${a}: ${seen} vs ${p}`);
    }
    // phi between the group and the profession's stereotype is c (both balanced)
    const g = xs.map((e) => e.attributes.gender);
    const s = xs.map((e) => PROFESSIONS[e.label].gender);
    const mean = (v: number[]) => v.reduce((x, y) => x + y, 0) / v.length;
    const [mg, ms] = [mean(g), mean(s)];
    const cov = mean(g.map((x, i) => (x - mg) * (s[i] - ms)));
    const phi = cov / Math.sqrt(mean(g.map((x) => (x - mg) ** 2)) * mean(s.map((x) => (x - ms) ** 2)));
    assert.ok(Math.abs(phi - c) < 0.05, `phi ${phi} vs ${c}`);
  }
  const per = all(bios({ n, seed: 8, correlation: { gender: 0.9, age: 0 } }));
  assert.ok(Math.abs(stereotyped(per, "gender") - 0.95) < 0.02);
  assert.ok(Math.abs(stereotyped(per, "age") - 0.5) < 0.03);
});

test("labels are balanced, the texts carry the attributes, and the splits are seeded and disjoint", () => {
  const d = bios({ n: 4000, seed: 3, correlation: 0.6, professions: 4 });
  assert.deepEqual(d.labels, ["nurse", "engineer", "teacher", "surgeon"]);
  assert.deepEqual(d.attributes, { gender: [...GENDERS], age: [...AGE_GROUPS] });
  assert.deepEqual([d.train.length, d.val.length, d.test.length], [2800, 600, 600]);
  const xs = all(d);
  for (let y = 0; y < 4; y++) {
    const share = xs.filter((e) => e.label === y).length / xs.length;
    assert.ok(Math.abs(share - 0.25) < 4 * Math.sqrt((0.25 * 0.75) / 4000), `label ${y}: ${share}`);
  }
  for (const e of xs) {
    const ws = words(e.text);
    const pronoun = e.attributes.gender === 0 ? ["she", "her"] : ["he", "his", "him"];
    const other = e.attributes.gender === 0 ? ["he", "his", "him"] : ["she"];
    assert.ok(ws.some((w) => pronoun.includes(w)) && !ws.some((w) => other.includes(w)), e.text);
    const age = Number(ws.find((w) => /^\d+$/.test(w) && Number(w) > 20));
    assert.ok(e.attributes.age === 0 ? age >= 23 && age <= 34 : age >= 46 && age <= 64, `${e.text}: age ${age}`);
    const cues = ws.filter((w) => PROFESSIONS.slice(0, 4).some((p) => p.cues.includes(w)));
    const own = cues.filter((w) => PROFESSIONS[e.label].cues.includes(w));
    assert.ok(own.length >= 1 && own.length >= cues.length - 1, `${e.text}: its own cues outnumber others' by the noise rule`);
    assert.ok(!ws.includes(PROFESSIONS[e.label].name), "the profession itself is not named");
  }
  const again = bios({ n: 4000, seed: 3, correlation: 0.6 });
  assert.deepEqual(
    again.test.map((e) => e.text),
    d.test.map((e) => e.text),
  );
  assert.notDeepEqual(
    bios({ n: 4000, seed: 4, correlation: 0.6 }).test.map((e) => e.text),
    d.test.map((e) => e.text),
  );
  // example i does not depend on n: a larger set extends a smaller one
  assert.deepEqual(
    bios({ n: 100, seed: 3, correlation: 0.6, split: [0.5, 0.25, 0.25] }).train.map((e) => e.text),
    d.train.slice(0, 50).map((e) => e.text),
  );
  const noiseless = all(bios({ n: 2000, seed: 1, noise: 0 }));
  for (const e of noiseless) {
    const ws = words(e.text);
    assert.ok(!PROFESSIONS.some((p, i) => i !== e.label && p.cues.some((c) => ws.includes(c))), "no other profession's cue without noise");
  }
});

test("bad options are refused by name", () => {
  assert.throws(() => bios({ correlation: 1.5 }), /bios: correlation = 1.5: expected a number in \[0, 1\]/);
  assert.throws(() => bios({ correlation: { gender: -1 } }), /correlation.gender = -1/);
  assert.throws(() => bios({ n: 3 }), /n = 3: expected an integer >= 10/);
  assert.throws(() => bios({ professions: 9 }), /professions = 9: expected an integer in \[2, 8\]/);
  assert.throws(() => bios({ split: [0.5, 0.5, 0.5] }), /split = \[0.5,0.5,0.5\]: expected three positive shares/);
  assert.throws(() => bios({ noise: 2 }), /noise = 2/);
});
