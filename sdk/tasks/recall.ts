// Associative recall: "k : v ," pairs, then queried keys; answer: their values in order.
//   <bos> recall a : 3 , q : 7 , ... ? q a =  ->  7 3 <eos>

import { BOS, EOS, DIGITS, LETTERS, id } from "./vocab.js";
import { pick, sample } from "./rng.js";
import { intIn, type TaskSpec } from "./spec.js";

export interface RecallOptions {
  /** key-value pairs (default 14; keys are distinct letters) */
  pairs: number;
  /** keys asked (default 2) */
  queries: number;
}

export const recall: TaskSpec<RecallOptions> = {
  name: "recall",
  description: "associative recall: values of queried keys",
  defaults: { pairs: 14, queries: 2 },
  validate(o) {
    intIn("recall", "pairs", o.pairs, 1, 26);
    intIn("recall", "queries", o.queries, 1, o.pairs);
  },
  generate(rng, o) {
    const keys = sample(rng, LETTERS, o.pairs);
    const values = keys.map(() => pick(rng, DIGITS));
    const prompt = [BOS, id("recall")];
    keys.forEach((k, i) => {
      prompt.push(id(k), id(":"), id(values[i]), id(","));
    });
    const asked = sample(
      rng,
      keys.map((_, i) => i),
      o.queries,
    );
    prompt.push(id("?"), ...asked.map((i) => id(keys[i])), id("="));
    return { prompt, answer: [...asked.map((i) => id(values[i])), EOS] };
  },
};
