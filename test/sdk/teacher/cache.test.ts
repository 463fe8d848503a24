// Teachers of other recipes: trained once per recipe hash, loaded after that; retrain trains again
// (a tiny recipe, not the real one).

import { test, before } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import {
  teacher,
  recipeHash,
  recipeWith,
  teacherDir,
  readRecipeFile,
  trainTeacher,
  phaseBatches,
  TEACHER_RECIPE,
  type TeacherRecipe,
} from "../../../sdk/teacher/index.js";
import { useCpu } from "../train/helpers.js";

before(useCpu);

const tiny: Partial<TeacherRecipe> = {
  model: { ...TEACHER_RECIPE.model, dModel: 16, nLayers: 1, nHeads: 2, dFf: 32, maxSeq: 64 },
  tasks: ["copy", "recall"],
  options: { copy: { length: 4, maxLength: 6 }, recall: { pairs: 2, queries: 2, length: 16 } },
  weights: { recall: 2 },
  steps: 3,
  batchSize: 4,
  warmup: 0,
  phases: [],
};

test("the recipe hash is stable under key order and changes with the recipe", () => {
  const r = recipeWith(tiny);
  const shuffled = Object.fromEntries(Object.entries(r).reverse()) as unknown as TeacherRecipe;
  assert.equal(recipeHash(r), recipeHash(shuffled));
  assert.notEqual(recipeHash(r), recipeHash({ ...r, steps: 4 }));
  assert.notEqual(recipeHash(r), recipeHash({ ...r, weights: { recall: 3 } }));
  assert.match(recipeHash(r), /^[0-9a-f]{12}$/);
  assert.equal(recipeWith({ model: { dModel: 64 } } as Partial<TeacherRecipe>).model.nLayers, TEACHER_RECIPE.model.nLayers);
});

test("another recipe trains once and is cached under STILLROOM_CACHE; retrain trains again", async (t) => {
  const root = await mkdtemp(join(tmpdir(), "stillroom-cache-"));
  const old = process.env.STILLROOM_CACHE;
  process.env.STILLROOM_CACHE = root;
  t.after(async () => {
    if (old === undefined) delete process.env.STILLROOM_CACHE;
    else process.env.STILLROOM_CACHE = old;
    await rm(root, { recursive: true, force: true });
  });
  let events = 0;
  const a = await teacher({ recipe: tiny, quiet: true, onProgress: () => events++ });
  assert.equal(events, 3);
  const dir = teacherDir(recipeWith(tiny));
  assert.ok(dir.startsWith(join(root, "teacher-")));
  assert.deepEqual(
    (await readdir(root)).filter((f) => f.startsWith("teacher-")),
    [dir.slice(root.length + 1)],
  );
  const files = await readdir(dir);
  for (const f of ["config.json", "model.safetensors", "recipe.json"]) assert.ok(files.includes(f), f);
  assert.equal((await readRecipeFile(dir))?.hash, recipeHash(recipeWith(tiny)));
  events = 0;
  const b = await teacher({ recipe: tiny, onProgress: () => events++ });
  assert.equal(events, 0, "loaded from the cache, not trained");
  const ids = [[1, 9, 30, 31, 32, 33, 3]];
  const la = a.logits(ids),
    lb = b.logits(ids);
  assert.equal(tf.max(tf.abs(tf.sub(la, lb))).dataSync()[0], 0);
  const c = await teacher({ recipe: tiny, retrain: true, quiet: true, onProgress: () => events++ });
  assert.equal(events, 3, "retrain trains even when cached");
  tf.dispose([la, lb]);
  for (const m of [a, b, c]) m.dispose();
});

test("a recipe's phases train after its steps, each with a fresh optimizer, on the weights before them", async () => {
  const phased = recipeWith({
    ...tiny,
    phases: [{ steps: 2, lr: 1e-2, warmup: 0, schedule: "constant", stages: [{ from: 0, tasks: ["copy"] }] }],
  });
  let events = 0;
  const m = await trainTeacher(phased, { quiet: true, onProgress: () => events++ });
  assert.equal(events, 5, "3 steps, then the phase's 2");
  // the same by hand: the first phase's fit, then a second fit (new AdamW) on the phase's batches
  const { create } = await import("../../../sdk/models/create.js");
  const { fit } = await import("../../../sdk/train/fit.js");
  const byHand = create(phased.model, { seed: phased.seed });
  const common = { weightDecay: phased.weightDecay, seed: phased.seed, quiet: true };
  await fit(byHand, phaseBatches(phased, 0), { ...common, steps: 3, lr: phased.lr, warmup: 0, schedule: phased.schedule });
  const ids = [[1, 9, 30, 31, 32, 33, 3]];
  const firstOnly = byHand.logits(ids);
  await fit(byHand, phaseBatches(phased, 1), { ...common, steps: 2, lr: 1e-2, warmup: 0, schedule: "constant" });
  const [a, b] = [m.logits(ids), byHand.logits(ids)];
  assert.equal(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0], 0, "trainTeacher = the two fits");
  assert.ok(tf.max(tf.abs(tf.sub(a, firstOnly))).dataSync()[0] > 1e-4, "the phase changed the weights");
  assert.notEqual(recipeHash(phased), recipeHash(recipeWith(tiny)));
  tf.dispose([a, b, firstOnly]);
  m.dispose();
  byHand.dispose();
});
