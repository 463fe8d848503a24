// Counting: how often the queried letter occurs, as two digits.   <bos> count a b a ? a =  ->  0 2 <eos>

import { BOS, EOS, LETTERS, id } from "./vocab.js";
import { pick } from "./rng.js";
import { intIn, type TaskSpec } from "./spec.js";

export interface CountOptions {
  /** letters in the sequence (default 56) */
  length: number;
  /** distinct letters (default 6) */
  symbols: number;
}

export const count: TaskSpec<CountOptions> = {
  name: "count",
  description: "count a letter's occurrences",
  defaults: { length: 56, symbols: 6 },
  validate(o) {
    intIn("count", "length", o.length, 1, 99);
    intIn("count", "symbols", o.symbols, 1, 26);
  },
  generate(rng, o) {
    const alphabet = LETTERS.slice(0, o.symbols);
    const xs = Array.from({ length: o.length }, () => pick(rng, alphabet));
    const q = pick(rng, alphabet);
    const n = xs.filter((x) => x === q).length;
    return {
      prompt: [BOS, id("count"), ...xs.map(id), id("?"), id(q), id("=")],
      answer: [id(String(Math.floor(n / 10))), id(String(n % 10)), EOS],
    };
  },
};
