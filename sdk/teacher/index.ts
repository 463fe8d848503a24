// sdk/teacher: a small Llama trained on the synthetic task suite, the model that distillation, EVA
// and the figures start from. The barrel shows it as sr.models.teacher; it lives here because
// training it needs sdk/tasks and sdk/train, which the model core (sdk/models) never imports.
//
//   teacher()                     the committed checkpoint (models/teacher/), loaded, no training
//   teacher({ retrain: true })    the recipe trained anew, with a live progress bar
//   teacher({ recipe: {...} })    another recipe: trained once, then loaded from the cache
import { join } from "node:path";
import { exists } from "../io/paths.js";
import { load } from "../models/load.js";
import type { Model } from "../models/model.js";
import { COMMITTED_DIR, readRecipeFile, saveTeacher, teacherDir } from "./checkpoint.js";
import { recipeHash, recipeWith, type TeacherRecipe } from "./recipe.js";
import { trainTeacher, type TrainTeacherOptions } from "./train.js";

export {
  TEACHER_RECIPE,
  TASKS_FORMAT,
  recipeHash,
  recipeWith,
  totalSteps,
  phaseAt,
  type TeacherPhase,
  type TeacherRecipe,
  type TeacherStage,
} from "./recipe.js";
export { phaseBatches, recipeBatches, stageAt } from "./batches.js";
export { COMMITTED_DIR, cacheRoot, teacherDir, readRecipeFile, saveTeacher, type RecipeFile } from "./checkpoint.js";
export { trainTeacher, type TrainTeacherOptions } from "./train.js";

export interface TeacherOptions extends TrainTeacherOptions {
  /** train even when a checkpoint for the recipe exists (default false) */
  retrain?: boolean;
  /** changes to the committed recipe (model fields merge into its model) */
  recipe?: Partial<TeacherRecipe>;
  /** where a trained teacher is written (default: the cache folder of its recipe) */
  save?: string;
}

/** The teacher for the recipe: the committed checkpoint, a cached one, or (when neither, or on
 *  retrain) one trained now and saved. */
export async function teacher(opts: TeacherOptions = {}): Promise<Model> {
  const recipe = recipeWith(opts.recipe);
  const hash = recipeHash(recipe);
  if (!opts.retrain) {
    const committed = await readRecipeFile(COMMITTED_DIR);
    if (committed?.hash === hash) return load(COMMITTED_DIR);
    if (opts.recipe === undefined && committed)
      throw new Error(
        `teacher: the committed checkpoint (${COMMITTED_DIR}, recipe ${committed.hash}) was trained with another recipe than TEACHER_RECIPE (${hash}); retrain it (npm run teacher:train) or pass {retrain: true}`,
      );
    const cached = teacherDir(recipe);
    if (await exists(join(cached, "config.json"))) return load(cached);
  }
  const t0 = performance.now();
  const model = await trainTeacher(recipe, opts);
  await saveTeacher(model, opts.save ?? teacherDir(recipe), recipe, { trainMs: performance.now() - t0 });
  return model;
}
