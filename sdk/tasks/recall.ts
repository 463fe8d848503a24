// Associative recall as a needle in a haystack, in the multi-query form of Zoology's MQAR: `pairs`
// "key value" pairs (distinct letters as keys, digits as values: two vocabularies) sit at random
// places among filler words; after "=" the keys are asked one at a time, each query given and
// followed by its value, which is what is scored. Every example is exactly `length` tokens
// (prompt + answer), so a sweep over lengths moves only the haystack; with maxLength above length
// each example draws its length.
//   <bos> recall the k 3 barks eats q 7 cat ... =  ->  [q] 7 [k] 3 <eos>      ([given] queries)
//
// Why queries sit in the answer: right after its query the value is one induction step away (find
// the key earlier, copy what follows it), the circuit a small transformer forms quickly. With all
// queries in the prompt ("? q k = 7 3") each value needs the query copied from a distance first,
// and the models measured in bench/README.md stayed at chance there for thousands of steps.

import { BOS, EOS, DIGITS, LETTERS, LM_WORDS, id } from "./vocab.js";
import { pick, randInt, sample, shuffle, type Rng } from "./rng.js";
import { intIn, type TaskSpec } from "./spec.js";

export interface RecallOptions {
  /** key-value pairs (default 8; keys are distinct letters) */
  pairs: number;
  /** keys asked, each once, in a random order (default 4) */
  queries: number;
  /** tokens per example, prompt and answer (default 64) */
  length: number;
  /** when above length, each example's length is drawn uniformly from [length, maxLength] (default 0: length) */
  maxLength: number;
}

/** The fewest tokens an example with these pairs and queries can have (no filler). */
export const recallMinLength = (pairs: number, queries: number) => 2 + 2 * pairs + 1 + 2 * queries + 1;

/** `pairs` pair slots and `fill` filler slots in a random order: true marks a pair. */
const layout = (rng: Rng, pairs: number, fill: number): boolean[] =>
  shuffle(rng, [...Array<boolean>(pairs).fill(true), ...Array<boolean>(fill).fill(false)]);

export const recall: TaskSpec<RecallOptions> = {
  name: "recall",
  description: "associative recall: values of queried keys among filler",
  defaults: { pairs: 8, queries: 4, length: 64, maxLength: 0 },
  validate(o) {
    intIn("recall", "pairs", o.pairs, 1, LETTERS.length);
    intIn("recall", "queries", o.queries, 1, o.pairs);
    intIn("recall", "length", o.length, recallMinLength(o.pairs, o.queries), 100_000);
    if (o.maxLength !== 0) intIn("recall", "maxLength", o.maxLength, o.length, 100_000);
  },
  generate(rng, o) {
    const L = o.maxLength > o.length ? o.length + randInt(rng, o.maxLength - o.length + 1) : o.length;
    const keys = sample(rng, LETTERS, o.pairs);
    const values = keys.map(() => pick(rng, DIGITS));
    // drawn before anything that depends on the length: at each length of a sweep the same pairs are asked
    const asked = sample(
      rng,
      keys.map((_, i) => i),
      o.queries,
    );
    const hay: string[] = [];
    let k = 0;
    for (const isPair of layout(rng, o.pairs, L - recallMinLength(o.pairs, o.queries))) {
      if (isPair) {
        hay.push(keys[k], values[k]);
        k++;
      } else hay.push(pick(rng, LM_WORDS));
    }
    return {
      prompt: [BOS, id("recall"), ...hay.map(id), id("=")],
      answer: [...asked.flatMap((i) => [id(keys[i]), id(values[i])]), EOS],
      given: [...asked.flatMap(() => [true, false]), false],
    };
  },
};
