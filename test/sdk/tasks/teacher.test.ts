// The teacher's cache: trained once per recipe hash, loaded after that (a tiny recipe, not the real one).

import { test, before } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { teacher, recipeHash, teacherDir, TEACHER_RECIPE, type TeacherRecipe } from "../../../sdk/tasks/teacher.js";
import { useCpu } from "../train/helpers.js";

before(useCpu);

const tiny: Partial<TeacherRecipe> = {
  model: { ...TEACHER_RECIPE.model, dModel: 16, nLayers: 1, nHeads: 2, dFf: 32 },
  tasks: ["copy"],
  options: { copy: { length: 4 } },
  steps: 3,
  batchSize: 4,
  warmup: 0,
};

test("the recipe hash is stable under key order and changes with the recipe", () => {
  const r = { ...TEACHER_RECIPE, ...tiny } as TeacherRecipe;
  const shuffled = Object.fromEntries(Object.entries(r).reverse()) as unknown as TeacherRecipe;
  assert.equal(recipeHash(r), recipeHash(shuffled));
  assert.notEqual(recipeHash(r), recipeHash({ ...r, steps: 4 }));
  assert.match(recipeHash(r), /^[0-9a-f]{12}$/);
});

test("teacher() trains and caches under STILLROOM_CACHE, then loads the same weights", async (t) => {
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
  const dir = teacherDir({ ...TEACHER_RECIPE, ...tiny } as TeacherRecipe);
  assert.ok(dir.startsWith(join(root, "teacher-")));
  assert.deepEqual(
    (await readdir(root)).filter((f) => f.startsWith("teacher-")),
    [dir.slice(root.length + 1)],
  );
  const files = await readdir(dir);
  for (const f of ["config.json", "model.safetensors", "recipe.json"]) assert.ok(files.includes(f), f);
  events = 0;
  const b = await teacher({ recipe: tiny, onProgress: () => events++ });
  assert.equal(events, 0, "loaded from the cache, not trained");
  const ids = [[1, 9, 30, 31, 32, 33, 3]];
  const la = a.logits(ids),
    lb = b.logits(ids);
  assert.ok(tf.max(tf.abs(tf.sub(la, lb))).dataSync()[0] === 0);
  tf.dispose([la, lb]);
  a.dispose();
  b.dispose();
});
