// Held out of the default suite: copy a letter string without its first letter. The copy task's
// prompt with a "?" before the "=": the teacher copies from the first letter; starting one later is
// new to it, the rest of the copy is not.
//   <bos> copy x y z ? =  ->  y z <eos>

import { BOS, EOS, LETTERS, id } from "./vocab.js";
import { pick } from "./rng.js";
import { intIn, type TaskSpec } from "./spec.js";

export interface TailOptions {
  /** letters in the string (default 8; the answer has one fewer) */
  length: number;
}

export const tail: TaskSpec<TailOptions> = {
  name: "tail",
  description: "copy the letters after the first (held out)",
  defaults: { length: 8 },
  validate(o) {
    intIn("tail", "length", o.length, 2, 1000);
  },
  generate(rng, o) {
    const xs = Array.from({ length: o.length }, () => id(pick(rng, LETTERS)));
    return { prompt: [BOS, id("copy"), ...xs, id("?"), id("=")], answer: [...xs.slice(1), EOS] };
  },
};
