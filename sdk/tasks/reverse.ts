// Held out of the default suite: write distinct letters backwards. The copy task's prompt with a
// "?" before the "=": the teacher copies forwards; reversing is new to it.
//   <bos> copy x y z ? =  ->  z y x <eos>

import { BOS, EOS, LETTERS, id } from "./vocab.js";
import { sample } from "./rng.js";
import { intIn, type TaskSpec } from "./spec.js";

export interface ReverseOptions {
  /** distinct letters to reverse (default 6) */
  length: number;
}

export const reverse: TaskSpec<ReverseOptions> = {
  name: "reverse",
  description: "write distinct letters backwards (held out)",
  defaults: { length: 6 },
  validate(o) {
    intIn("reverse", "length", o.length, 1, LETTERS.length);
  },
  generate(rng, o) {
    const xs = sample(rng, LETTERS, o.length).map(id);
    return { prompt: [BOS, id("copy"), ...xs, id("?"), id("=")], answer: [...[...xs].reverse(), EOS] };
  },
};
