// Sorting: letters (with repeats) in alphabetical order.   <bos> sort d a c =  ->  a c d <eos>

import { BOS, EOS, LETTERS, id } from "./vocab.js";
import { pick } from "./rng.js";
import { intIn, type TaskSpec } from "./spec.js";

export interface SortOptions {
  /** items to sort (default 30) */
  items: number;
  /** distinct letters drawn from (default 26) */
  alphabet: number;
}

export const sort: TaskSpec<SortOptions> = {
  name: "sort",
  description: "sort letters",
  defaults: { items: 30, alphabet: 26 },
  validate(o) {
    intIn("sort", "items", o.items, 1, 1000);
    intIn("sort", "alphabet", o.alphabet, 2, 26);
  },
  generate(rng, o) {
    const xs = Array.from({ length: o.items }, () => id(pick(rng, LETTERS.slice(0, o.alphabet))));
    return { prompt: [BOS, id("sort"), ...xs, id("=")], answer: [...[...xs].sort((a, b) => a - b), EOS] };
  },
};
