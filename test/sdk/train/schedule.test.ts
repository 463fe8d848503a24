import { test } from "node:test";
import assert from "node:assert/strict";
import { lrAt } from "../../../sdk/train/schedule.js";

const base = { lr: 1, minLr: 0.1, warmup: 10, steps: 110 };

test("linear warmup from lr/warmup to lr", () => {
  const c = { ...base, schedule: "cosine" as const };
  assert.equal(lrAt(0, c), 0.1);
  assert.equal(lrAt(4, c), 0.5);
  assert.equal(lrAt(9, c), 1);
});

test("cosine and linear decay from lr to minLr; constant stays", () => {
  for (const schedule of ["cosine", "linear"] as const) {
    const c = { ...base, schedule };
    assert.equal(lrAt(10, c), 1);
    assert.ok(Math.abs(lrAt(60, c) - 0.55) < 1e-12, `${schedule} midpoint ${lrAt(60, c)}`);
    assert.ok(Math.abs(lrAt(110, c) - 0.1) < 1e-12);
    for (let s = 11; s < 110; s++) assert.ok(lrAt(s, c) <= lrAt(s - 1, c));
  }
  assert.ok(lrAt(35, { ...base, schedule: "cosine" }) > lrAt(35, { ...base, schedule: "linear" }));
  assert.equal(lrAt(100, { ...base, schedule: "constant" }), 1);
});
