// Copying: repeat a string of distinct tokens (digits, letters and words), of a length drawn per
// example. With the length varying no fixed offset finds the token to copy, so the model learns
// the induction step (find the token just written earlier, copy what followed it), which recall
// then reuses; distinct tokens keep that step unambiguous.
//   <bos> copy 7 fox k the =  ->  7 fox k the <eos>

import { BOS, EOS, DIGITS, LETTERS, LM_WORDS, id } from "./vocab.js";
import { randInt, sample } from "./rng.js";
import { intIn, type TaskSpec } from "./spec.js";

/** The tokens copy draws from. */
export const COPY_TOKENS: readonly string[] = [...DIGITS, ...LETTERS, ...LM_WORDS];

export interface CopyOptions {
  /** tokens to copy (default 30) */
  length: number;
  /** when above length, each example's length is drawn uniformly from [length, maxLength] (default 36; 0: length) */
  maxLength: number;
}

export const copy: TaskSpec<CopyOptions> = {
  name: "copy",
  description: "copy a string of distinct tokens",
  defaults: { length: 30, maxLength: 36 },
  validate(o) {
    intIn("copy", "length", o.length, 1, COPY_TOKENS.length);
    if (o.maxLength !== 0) intIn("copy", "maxLength", o.maxLength, o.length, COPY_TOKENS.length);
  },
  generate(rng, o) {
    const n = o.maxLength > o.length ? o.length + randInt(rng, o.maxLength - o.length + 1) : o.length;
    const xs = sample(rng, COPY_TOKENS, n).map(id);
    return { prompt: [BOS, id("copy"), ...xs, id("=")], answer: [...xs, EOS] };
  },
};
