// Training the teacher from its recipe: its mixed batches, AdamW with the recipe's schedule.

import { create } from "../models/create.js";
import type { Model } from "../models/model.js";
import { fit } from "../train/fit.js";
import type { ProgressEvent } from "../train/options.js";
import { recipeBatches } from "./batches.js";
import type { TeacherRecipe } from "./recipe.js";

export interface TrainTeacherOptions {
  onProgress?: (e: ProgressEvent) => void;
  /** no terminal progress bar (the kernel's live display and onProgress still get events) */
  quiet?: boolean;
}

/** A fresh model trained on the recipe (nothing cached or saved). */
export async function trainTeacher(recipe: TeacherRecipe, opts: TrainTeacherOptions = {}): Promise<Model> {
  const model = create(recipe.model, { seed: recipe.seed });
  await fit(model, recipeBatches(recipe), {
    steps: recipe.steps,
    lr: recipe.lr,
    warmup: recipe.warmup,
    schedule: recipe.schedule,
    weightDecay: recipe.weightDecay,
    seed: recipe.seed,
    label: "teacher",
    onProgress: opts.onProgress,
    quiet: opts.quiet,
  });
  return model;
}
