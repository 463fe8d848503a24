// Associative recall as a needle in a haystack, at an exact context length: the suite's recall
// format ("k : v ," pairs, "? q =" and the value as the answer) with filler words of the suite's
// small language around the pairs. At every length the same pairs are asked; only the filler grows.
//   <bos> recall the k : 3 , says ... q : 7 , cat ... ? q =  ->  7 <eos>
// (The task suite is gaining a recall sweep of its own; this generator stands in until it does.)

import { Task } from "../tasks/task.js";
import { pick, randInt, sample } from "../tasks/rng.js";
import { BOS, DIGITS, EOS, LETTERS, LM_WORDS, id } from "../tasks/vocab.js";
import { intIn, type TaskSpec } from "../tasks/spec.js";

export interface NeedleOptions {
  /** key-value pairs in the haystack (default 4) */
  pairs: number;
  /** keys asked (default 1) */
  queries: number;
  /** tokens per example, prompt and answer */
  length: number;
}

/** The fewest tokens an example can have: no filler. */
export const needleMinLength = (pairs: number, queries: number) => 2 + 4 * pairs + 1 + queries + 1 + queries + 1;

export const needle: TaskSpec<NeedleOptions> = {
  name: "recall",
  description: "associative recall among filler: values of queried keys",
  defaults: { pairs: 4, queries: 1, length: 64 },
  validate(o) {
    intIn("recall", "pairs", o.pairs, 1, LETTERS.length);
    intIn("recall", "queries", o.queries, 1, o.pairs);
    intIn("recall", "length", o.length, needleMinLength(o.pairs, o.queries), 1_000_000);
  },
  generate(rng, o) {
    const keys = sample(rng, LETTERS, o.pairs);
    const values = keys.map(() => pick(rng, DIGITS));
    const asked = sample(
      rng,
      keys.map((_, i) => i),
      o.queries,
    ); // drawn before anything that depends on the length
    const filler = o.length - needleMinLength(o.pairs, o.queries);
    // the pairs go at random slots among the filler words, in order
    const slots = new Set<number>();
    while (slots.size < o.pairs) slots.add(randInt(rng, filler + o.pairs));
    const hay: number[] = [];
    let k = 0;
    for (let s = 0; s < filler + o.pairs; s++) {
      if (slots.has(s)) {
        hay.push(id(keys[k]!), id(":"), id(values[k]!), id(","));
        k++;
      } else hay.push(id(pick(rng, LM_WORDS)));
    }
    return {
      prompt: [BOS, id("recall"), ...hay, id("?"), ...asked.map((i) => id(keys[i]!)), id("=")],
      answer: [...asked.map((i) => id(values[i]!)), EOS],
    };
  },
};

/** The needle task at one context length; the pairs and queries drawn from (seed, index) alone, so equal across lengths. */
export function needleAt(
  length: number,
  opts: Partial<Omit<NeedleOptions, "length">> & { seed?: number; n?: number } = {},
): Task<NeedleOptions> {
  const { seed, n, ...options } = opts;
  return new Task(needle, { ...options, length }, seed ?? 0, n ?? 100);
}
