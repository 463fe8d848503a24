// Held out of the default suite: the lm task's facts asked backwards. The teacher learns "the owl
// eats moths"; here the object is given and the animal asked (the "?" stands where it was).
//   <bos> lm the ? eats moths =  ->  owl <eos>

import { ANIMALS, BOS, EOS, FOODS, HOMES, SOUNDS, id } from "./vocab.js";
import { randInt } from "./rng.js";
import type { TaskSpec } from "./spec.js";

export type WhichOptions = Record<string, never>;

/** The lm task's three relations: the words before the object, and each animal's object. */
const RELATIONS: readonly { words: string[]; objects: readonly string[] }[] = [
  { words: ["says"], objects: SOUNDS },
  { words: ["lives", "in", "the"], objects: HOMES },
  { words: ["eats"], objects: FOODS },
];

export const which: TaskSpec<WhichOptions> = {
  name: "which",
  description: "which animal says, lives in or eats this? (held out)",
  defaults: {},
  validate() {},
  generate(rng) {
    const a = randInt(rng, ANIMALS.length);
    const rel = RELATIONS[randInt(rng, RELATIONS.length)];
    return {
      prompt: [BOS, id("lm"), id("the"), id("?"), ...rel.words.map(id), id(rel.objects[a]), id("=")],
      answer: [id(ANIMALS[a]), EOS],
    };
  },
};
