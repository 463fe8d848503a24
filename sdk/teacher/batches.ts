// The teacher's training batches: the recipe's task mixture, stage by stage. Batch i is a pure
// function of (recipe, i), so a resumed run and the PyTorch reference see the same batches.

import { streamOf, type BatchStream } from "../train/batches.js";
import { suite } from "../tasks/suite.js";
import type { TeacherRecipe, TeacherStage } from "./recipe.js";

/** The stage that step i trains in: the last one whose `from` is at or before i (none: the recipe itself). */
export function stageAt(recipe: TeacherRecipe, i: number): TeacherStage | undefined {
  return recipe.stages.filter((s) => s.from <= i).at(-1);
}

export function recipeBatches(recipe: TeacherRecipe): BatchStream {
  const streams = [undefined, ...recipe.stages].map((st) => {
    const tasks = st?.tasks ?? recipe.tasks;
    const options = Object.fromEntries(Object.entries({ ...recipe.options, ...st?.options }).filter(([t]) => tasks.includes(t)));
    const weights = Object.fromEntries(Object.entries(st?.weights ?? recipe.weights).filter(([t]) => tasks.includes(t)));
    return suite(tasks, { seed: recipe.seed, options }).batches({ batchSize: recipe.batchSize, weights, byTask: st?.byTask });
  });
  return streamOf((i) => {
    const st = stageAt(recipe, i);
    return streams[st ? recipe.stages.indexOf(st) + 1 : 0](i);
  });
}
