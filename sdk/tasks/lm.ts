// A small templated language: sentences state fixed facts about animals (what each says, where it
// lives, what it eats); the last sentence is cut before its object, which is the answer.
//   <bos> lm the cat says meows . the fox eats mice . the owl lives in the =  ->  tree . <eos>

import { BOS, EOS, ANIMALS, FOODS, HOMES, SOUNDS, id } from "./vocab.js";
import { randInt, type Rng } from "./rng.js";
import { intIn, type TaskSpec } from "./spec.js";

export interface LmOptions {
  /** tokens of context sentences before the final one (default 56) */
  context: number;
}

/** A fact sentence about animal a, cut before its object: [head..., object]. */
function fact(rng: Rng, a: number): [string[], string] {
  const r = randInt(rng, 3);
  if (r === 0) return [["the", ANIMALS[a], "says"], SOUNDS[a]];
  if (r === 1) return [["the", ANIMALS[a], "lives", "in", "the"], HOMES[a]];
  return [["the", ANIMALS[a], "eats"], FOODS[a]];
}

export const lm: TaskSpec<LmOptions> = {
  name: "lm",
  description: "complete a templated fact sentence",
  defaults: { context: 56 },
  validate(o) {
    intIn("lm", "context", o.context, 0, 2000);
  },
  generate(rng, o) {
    const words: string[] = [];
    while (words.length < o.context) {
      const [head, obj] = fact(rng, randInt(rng, ANIMALS.length));
      words.push(...head, obj, ".");
    }
    const [head, obj] = fact(rng, randInt(rng, ANIMALS.length));
    return { prompt: [BOS, id("lm"), ...words.map(id), ...head.map(id), id("=")], answer: [id(obj), id("."), EOS] };
  },
};
