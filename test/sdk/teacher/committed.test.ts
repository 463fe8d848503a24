// The committed teacher (models/teacher/): made by TEACHER_RECIPE, loaded without training, and
// at the goal on a fixed sample of held-out examples (the full sets are scored when it is trained).

import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import * as sr from "../../../sdk/index.js";
import { COMMITTED_DIR, readRecipeFile, recipeHash, TEACHER_RECIPE } from "../../../sdk/teacher/index.js";

test("models/teacher is a Hugging Face folder made by TEACHER_RECIPE, a few MB", async () => {
  const files = readdirSync(COMMITTED_DIR);
  for (const f of ["config.json", "generation_config.json", "model.safetensors", "recipe.json"]) assert.ok(files.includes(f), f);
  const bytes = files.reduce((a, f) => a + statSync(join(COMMITTED_DIR, f)).size, 0);
  assert.ok(bytes < 8 * 2 ** 20, `${bytes} bytes`);
  const r = await readRecipeFile(COMMITTED_DIR);
  assert.equal(r?.hash, recipeHash(TEACHER_RECIPE), "the checkpoint was trained with TEACHER_RECIPE");
  assert.deepEqual(r?.recipe, JSON.parse(JSON.stringify(TEACHER_RECIPE)));
});

test("sr.models.teacher() loads it without training; a sample of every task and recall length is at the goal", async () => {
  await sr.backend.use("wasm");
  let events = 0;
  const model = await sr.models.teacher({ onProgress: () => events++ });
  assert.equal(events, 0, "loaded, not trained");
  const scores = await sr.tasks.suite(undefined, { n: 40 }).score(model);
  for (const r of scores.rows) assert.ok(r.accuracy >= 0.9, `${r.task}: ${r.accuracy} on the first 40 held-out examples`);
  const curve = await sr.eval.recallByLength({ teacher: model }, [64, model.config.maxSeq], { n: 40 });
  for (const r of curve.rows) assert.ok(r.accuracy >= 0.9, `recall at ${r.length} tokens: ${r.accuracy}`);
  model.dispose();
});
