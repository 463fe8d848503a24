// The teacher's training batches: the recipe's task mixture, stage by stage and phase by phase.
// Batch i is a pure function of (recipe, i), so a resumed run and the PyTorch reference see the
// same batches.

import { streamOf, type BatchStream } from "../train/batches.js";
import { suite } from "../tasks/suite.js";
import { phaseAt, type TeacherRecipe, type TeacherStage } from "./recipe.js";

/** The stage that step i trains in: the last one whose `from` is at or before i (none: the recipe itself). */
export function stageAt(stages: TeacherStage[], i: number): TeacherStage | undefined {
  return stages.filter((s) => s.from <= i).at(-1);
}

/** The batches of the recipe's first phase (its `steps`, from step 0). */
export function recipeBatches(recipe: TeacherRecipe): BatchStream {
  return mixtureBatches(recipe, recipe.stages, 0);
}

/** The batches of phase k (0: the recipe's own steps; k >= 1: phases[k - 1]), indexed from the
 *  phase's first step; they draw the examples of the recipe's global steps, none seen before. */
export function phaseBatches(recipe: TeacherRecipe, k: number): BatchStream {
  const phase = phaseAt(recipe, k);
  return mixtureBatches(recipe, phase.stages, phase.firstStep);
}

function mixtureBatches(recipe: TeacherRecipe, stages: TeacherStage[], offset: number): BatchStream {
  const streams = [undefined, ...stages].map((st) => {
    const tasks = st?.tasks ?? recipe.tasks;
    const options = Object.fromEntries(Object.entries({ ...recipe.options, ...st?.options }).filter(([t]) => tasks.includes(t)));
    const weights = Object.fromEntries(Object.entries(st?.weights ?? recipe.weights).filter(([t]) => tasks.includes(t)));
    return suite(tasks, { seed: recipe.seed, options }).batches({ batchSize: recipe.batchSize, weights, byTask: st?.byTask });
  });
  return streamOf((i) => {
    const st = stageAt(stages, i);
    return streams[st ? stages.indexOf(st) + 1 : 0](offset + i);
  });
}
