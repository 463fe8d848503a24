// Copying: repeat a random letter string.   <bos> copy x y z =  ->  x y z <eos>

import { BOS, EOS, LETTERS, id } from "./vocab.js";
import { pick } from "./rng.js";
import { intIn, type TaskSpec } from "./spec.js";

export interface CopyOptions {
  /** letters to copy (default 30) */
  length: number;
}

export const copy: TaskSpec<CopyOptions> = {
  name: "copy",
  description: "copy a letter string",
  defaults: { length: 30 },
  validate(o) {
    intIn("copy", "length", o.length, 1, 1000);
  },
  generate(rng, o) {
    const xs = Array.from({ length: o.length }, () => id(pick(rng, LETTERS)));
    return { prompt: [BOS, id("copy"), ...xs, id("=")], answer: [...xs, EOS] };
  },
};
