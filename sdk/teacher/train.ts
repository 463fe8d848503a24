// Training the teacher from its recipe: its mixed batches, AdamW with the recipe's schedule, then
// each later phase with a fresh AdamW and schedule of its own.

import { create } from "../models/create.js";
import type { Model } from "../models/model.js";
import { fit } from "../train/fit.js";
import type { ProgressEvent } from "../train/options.js";
import { phaseBatches } from "./batches.js";
import { phaseAt, type TeacherRecipe } from "./recipe.js";

export interface TrainTeacherOptions {
  onProgress?: (e: ProgressEvent) => void;
  /** no terminal progress bar (the kernel's live display and onProgress still get events) */
  quiet?: boolean;
}

/** A fresh model trained on the recipe (nothing cached or saved). */
export async function trainTeacher(recipe: TeacherRecipe, opts: TrainTeacherOptions = {}): Promise<Model> {
  const model = create(recipe.model, { seed: recipe.seed });
  const phases = (recipe.phases?.length ?? 0) + 1;
  for (let k = 0; k < phases; k++) {
    const { steps, lr, warmup, schedule } = phaseAt(recipe, k);
    await fit(model, phaseBatches(recipe, k), {
      steps,
      lr,
      warmup,
      schedule,
      weightDecay: recipe.weightDecay,
      seed: recipe.seed,
      label: phases === 1 ? "teacher" : `teacher, phase ${k + 1} of ${phases}`,
      onProgress: opts.onProgress,
      quiet: opts.quiet,
    });
  }
  return model;
}
