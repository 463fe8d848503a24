// The task specs by name, in the suite's order.

import { recall } from "./recall.js";
import { copy } from "./copy.js";
import { sort } from "./sort.js";
import { add } from "./add.js";
import { count } from "./count.js";
import { brackets } from "./brackets.js";
import { lm } from "./lm.js";
import type { TaskSpec } from "./spec.js";

// biome-ignore lint/suspicious/noExplicitAny: each spec has its own options type; the registry is keyed by name
export const SPECS: Record<string, TaskSpec<any>> = { recall, copy, sort, add, count, brackets, lm };
export const TASK_NAMES = Object.keys(SPECS);
