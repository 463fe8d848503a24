// EVA's rank redistribution: pool every layer's explained-variance ratios, keep the `budget` largest
// across all layers, and give each layer as many ranks as it has values among them. A layer whose
// directions explain little gets rank 0 (no adapter); one with a few strong directions gets more.

import { ArgumentError } from "../errors.js";

/**
 * Ranks per layer from the global top-`budget` of the ratios (each layer's list is what it may
 * receive at most: its first max_components ratios). Equal ratios go to the layer listed first, so
 * the result is deterministic; layers sharing one input (their lists equal) are therefore served in
 * list order. Every layer appears in the result, with 0 when it gets nothing.
 */
export function allocateRanks(ratiosByLayer: Record<string, ArrayLike<number>>, budget: number): Record<string, number> {
  const where = "eva.allocateRanks";
  if (!Number.isInteger(budget) || budget < 0)
    throw new ArgumentError("budget", budget, "an integer >= 0 (the sum of the layers' ranks)", where);
  if (!ratiosByLayer || typeof ratiosByLayer !== "object")
    throw new ArgumentError("ratiosByLayer", ratiosByLayer, "an object: layer -> ratios", where);
  const names = Object.keys(ratiosByLayer);
  const pool: { layer: number; value: number; order: number }[] = [];
  names.forEach((name, l) => {
    const ratios = ratiosByLayer[name];
    if (!ratios || typeof ratios.length !== "number")
      throw new ArgumentError(`ratiosByLayer[${JSON.stringify(name)}]`, ratios, "an array of ratios", where);
    for (let j = 0; j < ratios.length; j++) {
      const v = ratios[j];
      if (typeof v !== "number" || !Number.isFinite(v) || v < 0) {
        throw new ArgumentError(`ratiosByLayer[${JSON.stringify(name)}][${j}]`, v, "a finite number >= 0", where);
      }
      pool.push({ layer: l, value: v, order: pool.length });
    }
  });
  if (budget > pool.length) {
    throw new ArgumentError("budget", budget, `at most the ${pool.length} ratios given (${names.length} layers)`, where);
  }
  pool.sort((a, b) => b.value - a.value || a.order - b.order);
  const counts = new Array<number>(names.length).fill(0);
  for (let i = 0; i < budget; i++) counts[pool[i].layer]++;
  return Object.fromEntries(names.map((n, l) => [n, counts[l]]));
}

/**
 * allocateRanks over every layer, then, for layers sharing one input (member -> the layer analysed
 * for it), the analysed layer takes the largest rank of its group by swapping with a member that got
 * more (PEFT: its convergence is then checked for every component any member uses).
 */
export function distributeRanks(
  ratiosByLayer: Record<string, ArrayLike<number>>,
  budget: number,
  sharedWith: ReadonlyMap<string, string>,
): Record<string, number> {
  const ranks = allocateRanks(ratiosByLayer, budget);
  for (const [member, head] of sharedWith) {
    if (ranks[head] < ranks[member]) [ranks[head], ranks[member]] = [ranks[member], ranks[head]];
  }
  return ranks;
}
