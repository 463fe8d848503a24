// Sorting: distinct symbols from 0-9 a-z (digits before letters) in order. Distinct items make
// each answer token "the smallest symbol in the prompt above the one just written", which a small
// model learns in a few hundred steps; with repeats it must also count copies (distinct: false).
//   <bos> sort d 7 a c =  ->  7 a c d <eos>

import { BOS, EOS, DIGITS, LETTERS, id } from "./vocab.js";
import { pick, sample } from "./rng.js";
import { TaskConfigError, intIn, type TaskSpec } from "./spec.js";

/** The symbols sort draws from, in their order (ids ascend with it). */
export const SORT_SYMBOLS: readonly string[] = [...DIGITS, ...LETTERS];

export interface SortOptions {
  /** items to sort (default 30) */
  items: number;
  /** the first `alphabet` symbols of 0-9 a-z are drawn from (default 36) */
  alphabet: number;
  /** no symbol twice (default true) */
  distinct: boolean;
}

export const sort: TaskSpec<SortOptions> = {
  name: "sort",
  description: "sort distinct symbols",
  defaults: { items: 30, alphabet: 36, distinct: true },
  validate(o) {
    intIn("sort", "alphabet", o.alphabet, 2, SORT_SYMBOLS.length);
    if (typeof o.distinct !== "boolean") throw new TaskConfigError("sort", "distinct", o.distinct, "true or false");
    intIn("sort", "items", o.items, 1, o.distinct ? o.alphabet : 1000);
  },
  generate(rng, o) {
    const symbols = SORT_SYMBOLS.slice(0, o.alphabet);
    const xs = (o.distinct ? sample(rng, symbols, o.items) : Array.from({ length: o.items }, () => pick(rng, symbols))).map(id);
    return { prompt: [BOS, id("sort"), ...xs, id("=")], answer: [...[...xs].sort((a, b) => a - b), EOS] };
  },
};
