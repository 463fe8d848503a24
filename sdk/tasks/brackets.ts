// Bracket matching: is the string balanced (Dyck language over `types` bracket kinds)? Half the
// examples are balanced; the others are a balanced string with one bracket changed.
//   <bos> brackets ( [ ] ) =  ->  yes <eos>

import { BOS, EOS, BRACKETS, id } from "./vocab.js";
import { randInt, type Rng } from "./rng.js";
import { intIn, type TaskSpec } from "./spec.js";

export interface BracketsOptions {
  /** brackets in the string (default 60, even) */
  length: number;
  /** bracket kinds: 1 = (), 2 = () [], up to 4 (default 2) */
  types: number;
}

export function balanced(s: number[]): boolean {
  const stack: number[] = [];
  for (const b of s) {
    if (b % 2 === 0) stack.push(b);
    else if (stack.pop() !== b - 1) return false;
  }
  return stack.length === 0;
}

/** A random balanced string of n (even) bracket indices (2k = open, 2k+1 = close of kind k). */
function dyck(rng: Rng, n: number, types: number): number[] {
  const out: number[] = [];
  const stack: number[] = [];
  for (let i = 0; i < n; i++) {
    const left = n - i;
    const open = stack.length === 0 || (stack.length < left && rng() < 0.5);
    if (open) {
      const k = 2 * randInt(rng, types);
      stack.push(k);
      out.push(k);
    } else out.push(stack.pop()! + 1);
  }
  return out;
}

export const brackets: TaskSpec<BracketsOptions> = {
  name: "brackets",
  description: "is the bracket string balanced",
  defaults: { length: 60, types: 2 },
  validate(o) {
    intIn("brackets", "length", o.length, 2, 1000);
    if (o.length % 2) intIn("brackets", "length (even)", o.length, 2, 0);
    intIn("brackets", "types", o.types, 1, 4);
  },
  generate(rng, o) {
    const s = dyck(rng, o.length, o.types);
    if (rng() < 0.5) {
      const i = randInt(rng, s.length);
      // change one bracket: another kind, or open <-> close
      s[i] = o.types > 1 && rng() < 0.5 ? (2 * ((Math.floor(s[i] / 2) + 1 + randInt(rng, o.types - 1)) % o.types)) + (s[i] % 2) : s[i] ^ 1;
    }
    return {
      prompt: [BOS, id("brackets"), ...s.map((b) => id(BRACKETS[b])), id("=")],
      answer: [id(balanced(s) ? "yes" : "no"), EOS],
    };
  },
};
