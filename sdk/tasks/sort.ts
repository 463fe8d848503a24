// Sorting: distinct symbols from 0-9 a-z (digits before letters) in order. Distinct items make
// each answer token "the smallest symbol in the prompt above the one just written", which a small
// model learns in a few hundred steps; with repeats it must also count copies (distinct: false).
// Filler words may stand among the items (sdk/tasks/filler.ts); they are not sorted.
//   <bos> sort d 7 a c =  ->  7 a c d <eos>

import { BOS, EOS, DIGITS, LETTERS, id } from "./vocab.js";
import { pick, sample } from "./rng.js";
import { TaskConfigError, intIn, type TaskSpec } from "./spec.js";
import { withFiller } from "./filler.js";

/** The symbols sort draws from, in their order (ids ascend with it). */
export const SORT_SYMBOLS: readonly string[] = [...DIGITS, ...LETTERS];

export interface SortOptions {
  /** items to sort (default 30) */
  items: number;
  /** the first `alphabet` symbols of 0-9 a-z are drawn from (default 36) */
  alphabet: number;
  /** no symbol twice (default true) */
  distinct: boolean;
  /** filler words among the items (default 0) */
  filler: number;
}

export const sort: TaskSpec<SortOptions> = {
  name: "sort",
  description: "sort distinct symbols",
  defaults: { items: 30, alphabet: 36, distinct: true, filler: 0 },
  validate(o) {
    intIn("sort", "alphabet", o.alphabet, 2, SORT_SYMBOLS.length);
    if (typeof o.distinct !== "boolean") throw new TaskConfigError("sort", "distinct", o.distinct, "true or false");
    intIn("sort", "items", o.items, 1, o.distinct ? o.alphabet : 1000);
    intIn("sort", "filler", o.filler, 0, 10_000);
  },
  generate(rng, o) {
    const symbols = SORT_SYMBOLS.slice(0, o.alphabet);
    const picked = o.distinct ? sample(rng, symbols, o.items) : Array.from({ length: o.items }, () => pick(rng, symbols));
    const xs = picked.map(id);
    // no filler draws no random numbers: examples without it are those of the filler-less task
    const shown = o.filler > 0 ? withFiller(rng, picked, o.filler).map(id) : xs;
    return { prompt: [BOS, id("sort"), ...shown, id("=")], answer: [...[...xs].sort((a, b) => a - b), EOS] };
  },
};
