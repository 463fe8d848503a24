// The needle-in-a-haystack task of the recall sweep: the suite's own recall task (sdk/tasks/recall.ts,
// "key value" pairs among filler words, keys asked one at a time) with every example exactly
// `length` tokens. Its pairs and queries are drawn before the filler, so at every length of a sweep
// the same keys are asked and only the haystack grows.

import { recall, recallMinLength, type RecallOptions } from "../tasks/recall.js";
import { Task } from "../tasks/task.js";

export type NeedleOptions = Pick<RecallOptions, "pairs" | "queries" | "length">;

/** The fewest tokens an example can have: no filler. */
export const needleMinLength = recallMinLength;

/** Recall at one context length (pairs and queries default to the suite's: 8 and 4). */
export function needleAt(
  length: number,
  opts: Partial<Omit<NeedleOptions, "length">> & { seed?: number; n?: number } = {},
): Task<RecallOptions> {
  const { seed, n, ...options } = opts;
  return new Task(recall, { ...options, length, maxLength: 0 }, seed ?? 0, n ?? 100);
}
