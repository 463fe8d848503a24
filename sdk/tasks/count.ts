// Counting: how often each queried letter occurs in a string over `symbols` letters. Each queried
// letter's count is drawn uniformly from 0 to `max` (one digit) and the other letters fill the
// rest, so no count is a safe guess. After "=" the letters are asked one at a time, each query
// given and followed by its count: the query token itself can then attend to its occurrences.
// Filler words stand among the letters (sdk/tasks/filler.ts).
//   <bos> count a cat b a the c d a =  ->  [a] 3 [c] 1 <eos>      ([given] queries)

import { BOS, EOS, LETTERS, id } from "./vocab.js";
import { pick, randInt, sample, shuffle } from "./rng.js";
import { intIn, type TaskSpec } from "./spec.js";
import { withFiller } from "./filler.js";

export interface CountOptions {
  /** letters in the string (default 20) */
  length: number;
  /** distinct letters (default 6) */
  symbols: number;
  /** letters asked, each once (default 2) */
  queries: number;
  /** the largest count (default 6; a count is one digit) */
  max: number;
  /** filler words among the letters (default 36: 64 tokens in all) */
  filler: number;
}

export const count: TaskSpec<CountOptions> = {
  name: "count",
  description: "count letters' occurrences",
  defaults: { length: 20, symbols: 6, queries: 2, max: 6, filler: 36 },
  validate(o) {
    intIn("count", "symbols", o.symbols, 2, LETTERS.length);
    intIn("count", "queries", o.queries, 1, o.symbols - 1);
    intIn("count", "max", o.max, 1, 9);
    intIn("count", "length", o.length, o.queries * o.max, 10_000);
    intIn("count", "filler", o.filler, 0, 10_000);
  },
  generate(rng, o) {
    const alphabet = LETTERS.slice(0, o.symbols);
    const asked = sample(rng, alphabet, o.queries);
    const counts = asked.map(() => randInt(rng, o.max + 1));
    const others = alphabet.filter((x) => !asked.includes(x));
    const xs = asked.flatMap((q, k) => Array<string>(counts[k]).fill(q));
    while (xs.length < o.length) xs.push(pick(rng, others));
    return {
      prompt: [BOS, id("count"), ...withFiller(rng, shuffle(rng, xs), o.filler).map(id), id("=")],
      answer: [...asked.flatMap((q, k) => [id(q), id(String(counts[k]))]), EOS],
      given: [...asked.flatMap(() => [true, false]), false],
    };
  },
};
