// The recipe's batches, stage by stage: each stage's tasks, options and weights hold from its step on.

import { test } from "node:test";
import assert from "node:assert/strict";
import { phaseBatches, recipeBatches, recipeWith, stageAt, totalSteps } from "../../../sdk/teacher/index.js";
import { suite } from "../../../sdk/tasks/suite.js";
import { id } from "../../../sdk/tasks/vocab.js";

const tag = (row: number[]) => row[1];

test("stages switch the mixture at their step; batches are pure functions of the step", () => {
  const r = recipeWith({
    tasks: ["copy", "sort", "recall"],
    options: { copy: { length: 4, maxLength: 8 }, sort: { items: 4 }, recall: { length: 40 } },
    batchSize: 8,
    stages: [
      { from: 0, tasks: ["copy", "recall"] },
      { from: 3 },
      { from: 5, options: { recall: { length: 40, maxLength: 60 } }, weights: { copy: 0, sort: 0 } },
    ],
  });
  const b = recipeBatches(r);
  for (const i of [0, 1, 2])
    assert.ok(
      b(i).ids.every((row) => [id("copy"), id("recall")].includes(tag(row))),
      `step ${i}`,
    );
  const mixed = [3, 4].flatMap((i) => b(i).ids.map(tag));
  assert.ok(mixed.includes(id("sort")), "the whole mixture from step 3");
  assert.deepEqual(b(3), suite(r.tasks, { seed: r.seed, options: r.options }).batches({ batchSize: 8 })(3));
  const late = [5, 6, 7].flatMap((i) => b(i).ids);
  assert.ok(late.every((row) => tag(row) === id("recall")));
  assert.ok(
    late.some((row) => row.length > 40),
    "the last stage's recall reaches past 40 tokens",
  );
  assert.deepEqual(b(6), recipeBatches(r)(6));
  assert.equal(stageAt(r.stages, 4)?.from, 3);
  assert.equal(stageAt([{ from: 2 }], 1), undefined);
});

test("a byTask stage draws one task per batch, by the weights, each padded to its own rows", () => {
  const r = recipeWith({
    tasks: ["copy", "recall"],
    options: { copy: { length: 4, maxLength: 0 }, recall: { length: 40 } },
    batchSize: 8,
    stages: [{ from: 2, byTask: true, weights: { copy: 1, recall: 3 } }],
  });
  const b = recipeBatches(r);
  assert.ok(
    [0, 1].some((i) => new Set(b(i).ids.map(tag)).size === 2),
    "rows mixed before the stage",
  );
  const tasks = Array.from({ length: 60 }, (_, k) => {
    const ids = b(2 + k).ids;
    assert.equal(new Set(ids.map(tag)).size, 1, `batch ${2 + k} holds one task`);
    assert.equal(ids[0]!.length, tag(ids[0]!) === id("copy") ? 12 : 40, "padded to that task's rows only");
    return tag(ids[0]!);
  });
  const recallShare = tasks.filter((t) => t === id("recall")).length / tasks.length;
  assert.ok(recallShare > 0.55 && recallShare < 0.95, `recall's share of batches ${recallShare} (weight 3 of 4)`);
});

test("a phase's batches continue the step count with its own stages; phase 0 is the recipe's", () => {
  const r = recipeWith({
    tasks: ["copy", "sort"],
    options: { copy: { length: 4, maxLength: 8 }, sort: { items: 4 } },
    batchSize: 4,
    steps: 3,
    stages: [],
    phases: [
      { steps: 2, lr: 1e-3, warmup: 0, schedule: "constant", stages: [{ from: 0, tasks: ["sort"] }] },
      { steps: 4, lr: 1e-3, warmup: 0, schedule: "constant", stages: [{ from: 1, tasks: ["copy"] }] },
    ],
  });
  assert.equal(totalSteps(r), 9);
  assert.deepEqual(phaseBatches(r, 0)(2), recipeBatches(r)(2));
  const mixed = suite(r.tasks, { seed: r.seed, options: r.options }).batches({ batchSize: 4 });
  const sortOnly = suite(["sort"], { seed: r.seed, options: { sort: r.options.sort! } }).batches({ batchSize: 4 });
  const copyOnly = suite(["copy"], { seed: r.seed, options: { copy: r.options.copy! } }).batches({ batchSize: 4 });
  // phase 1 is global steps 3-4, phase 2 steps 5-8: its step 0 has no stage yet (the recipe's mixture)
  assert.deepEqual(phaseBatches(r, 1)(0), sortOnly(3));
  assert.deepEqual(phaseBatches(r, 1)(1), sortOnly(4));
  assert.deepEqual(phaseBatches(r, 2)(0), mixed(5));
  assert.deepEqual(phaseBatches(r, 2)(3), copyOnly(8));
  assert.notDeepEqual(phaseBatches(r, 1)(0), phaseBatches(r, 1)(1));
  assert.throws(() => phaseBatches(r, 3), /no phase 3 \(the recipe has 3\)/);
});
