// Filler: words of the suite's small language scattered among a task's own tokens, so that an
// example reaches the suite's 64 tokens without the task itself growing (a longer count or bracket
// string is a harder task, not a longer one). The task's tokens keep their order; the answer
// depends on none of the filler words, which share no token with letters, digits or brackets.

import { LM_WORDS } from "./vocab.js";
import { pick, shuffle, type Rng } from "./rng.js";

/** `tokens` in order with `n` filler words at random places among them. */
export function withFiller(rng: Rng, tokens: readonly string[], n: number): string[] {
  const own = shuffle(rng, [...Array<boolean>(tokens.length).fill(true), ...Array<boolean>(n).fill(false)]);
  let k = 0;
  return own.map((mine) => (mine ? tokens[k++] : pick(rng, LM_WORDS)));
}
