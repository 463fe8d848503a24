// The task specs by name, in the suite's order.

import { recall } from "./recall.js";
import { copy } from "./copy.js";
import { sort } from "./sort.js";
import { add } from "./add.js";
import { count } from "./count.js";
import { brackets } from "./brackets.js";
import { lm } from "./lm.js";
import { tail } from "./tail.js";
import { which } from "./which.js";
import type { TaskSpec } from "./spec.js";

// biome-ignore lint/suspicious/noExplicitAny: each spec has its own options type; the registry is keyed by name
export const SPECS: Record<string, TaskSpec<any>> = { recall, copy, sort, add, count, brackets, lm, which, tail };
/** Tasks the default suite (and so the teacher) leaves out, for fine-tuning on what the teacher never saw. */
export const HELD_OUT = ["which", "tail"];
/** The default suite. */
export const TASK_NAMES = Object.keys(SPECS).filter((n) => !HELD_OUT.includes(n));
