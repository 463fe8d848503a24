// Training the teacher from its recipe: the suite's mixed batches, AdamW with the recipe's schedule.

import { create } from "../models/create.js";
import type { Model } from "../models/model.js";
import { suite } from "../tasks/suite.js";
import { fit } from "../train/fit.js";
import type { ProgressEvent } from "../train/options.js";
import type { TeacherRecipe } from "./recipe.js";

export interface TrainTeacherOptions {
  onProgress?: (e: ProgressEvent) => void;
  /** no terminal progress bar (the kernel's live display and onProgress still get events) */
  quiet?: boolean;
}

/** A fresh model trained on the recipe (nothing cached or saved). */
export async function trainTeacher(recipe: TeacherRecipe, opts: TrainTeacherOptions = {}): Promise<Model> {
  const s = suite(recipe.tasks, { seed: recipe.seed, options: recipe.options });
  const model = create(recipe.model, { seed: recipe.seed });
  await fit(model, s.batches({ batchSize: recipe.batchSize, weights: recipe.weights, byTask: recipe.byTask }), {
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
