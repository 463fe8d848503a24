// The committed teacher (models/teacher/): made by TEACHER_RECIPE, loaded without training, and
// scoring what its recipe.json records. recipe.json holds the full held-out scores measured when it
// was trained (200 examples per task and per recall length); here the first 40 of those same
// examples are scored again, which a different or damaged checkpoint would not reproduce.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import * as sr from "../../../sdk/index.js";
import { COMMITTED_DIR, readRecipeFile, recipeHash, TEACHER_RECIPE } from "../../../sdk/teacher/index.js";

const SAMPLE = 40;

/** How far a 40-example score may sit from the recorded 200-example score: four standard errors of
 *  a 40-example mean at the recorded rate, and never under 7.5 points (one run of 40 moves in steps
 *  of 2.5 points). A checkpoint at chance, or another checkpoint's weights, lands far outside it. */
const tolerance = (p: number) => Math.max(0.075, 4 * Math.sqrt((p * (1 - p)) / SAMPLE));

test("models/teacher is a Hugging Face folder made by TEACHER_RECIPE, a few MB, with its full scores", async () => {
  const files = readdirSync(COMMITTED_DIR);
  for (const f of ["config.json", "generation_config.json", "model.safetensors", "recipe.json"]) assert.ok(files.includes(f), f);
  const bytes = files.reduce((a, f) => a + statSync(join(COMMITTED_DIR, f)).size, 0);
  assert.ok(bytes < 8 * 2 ** 20, `${bytes} bytes`);
  const r = await readRecipeFile(COMMITTED_DIR);
  assert.equal(r?.hash, recipeHash(TEACHER_RECIPE), "the checkpoint was trained with TEACHER_RECIPE");
  assert.deepEqual(r?.recipe, JSON.parse(JSON.stringify(TEACHER_RECIPE)));
  const scores = r?.scores as Record<string, number>;
  assert.equal(r?.n, 200);
  for (const t of sr.tasks.TASK_NAMES) assert.equal(typeof scores[t], "number", `a recorded score for ${t}`);
  for (const L of [64, 128, 192, 256]) assert.equal(typeof scores[`recall@${L}`], "number", `a recorded score for recall at ${L}`);
  assert.ok((r?.trainMs as number) > 0);
});

test("sr.models.teacher() loads it without training and reproduces its recorded scores on a sample", async () => {
  await sr.backend.use("wasm");
  const scores = (await readRecipeFile(COMMITTED_DIR))!.scores as Record<string, number>;
  let events = 0;
  const model = await sr.models.teacher({ onProgress: () => events++ });
  assert.equal(events, 0, "loaded, not trained");
  const near = (name: string, got: number) => {
    const want = scores[name]!;
    assert.ok(Math.abs(got - want) <= tolerance(want), `${name}: ${got} on the first ${SAMPLE} held-out examples, ${want} recorded on 200`);
  };
  for (const r of (await sr.tasks.suite(undefined, { n: SAMPLE }).score(model)).rows) near(r.task, r.accuracy);
  const curve = await sr.eval.recallByLength({ teacher: model }, [64, model.config.maxSeq], { n: SAMPLE });
  for (const r of curve.rows) near(`recall@${r.length}`, r.accuracy);
  model.dispose();
});

test("the sampling tolerance is tight where the score is", () => {
  assert.equal(tolerance(1), 0.075);
  assert.ok(Math.abs(tolerance(0.5) - 0.316) < 1e-3);
  assert.ok(tolerance(0.97) < 0.11);
});
