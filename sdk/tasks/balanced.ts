// Held out of the default suite: is a bracket string balanced? A question about the brackets task's
// strings (the "?" marks it), answered yes or no: half the strings are balanced, the other half
// have one bracket changed to another kind or to its opposite direction.
//   <bos> brackets ( [ ] ) ? =  ->  yes <eos>        <bos> brackets ( [ ) ) ? =  ->  no <eos>

import { closers } from "./brackets.js";
import { BOS, BRACKETS, EOS, id } from "./vocab.js";
import { randInt, type Rng } from "./rng.js";
import { intIn, TaskConfigError, type TaskSpec } from "./spec.js";

export interface BalancedOptions {
  /** brackets in the string (default 12, even) */
  length: number;
  /** bracket kinds: 1 = (), 2 = () [], up to 4 (default 2) */
  types: number;
  /** most brackets open at once (default 4) */
  depth: number;
}

/** A random balanced string of n bracket indices (2k opens kind k, 2k + 1 closes it), at most `depth` open. */
export function balancedString(rng: Rng, n: number, types: number, depth: number): number[] {
  const out: number[] = [];
  const stack: number[] = [];
  for (let i = 0; i < n; i++) {
    const left = n - i;
    // open only while the rest can still close everything
    const canOpen = stack.length < depth && stack.length + 1 <= left - 1;
    if (stack.length === 0 || (canOpen && rng() < 0.5)) {
      const k = 2 * randInt(rng, types);
      stack.push(k);
      out.push(k);
    } else out.push(stack.pop()! + 1);
  }
  return out;
}

/** Whether a bracket string is balanced: nothing mismatched, nothing left open. */
export const isBalanced = (s: number[]): boolean => closers(s)?.length === 0;

export const balanced: TaskSpec<BalancedOptions> = {
  name: "balanced",
  description: "is the bracket string balanced? (held out)",
  defaults: { length: 12, types: 2, depth: 4 },
  validate(o) {
    intIn("balanced", "length", o.length, 2, 1000);
    if (o.length % 2)
      throw new TaskConfigError("balanced", "length", o.length, "an even integer (a balanced string has as many closers as openers)");
    intIn("balanced", "types", o.types, 1, 4);
    intIn("balanced", "depth", o.depth, 1, 100);
  },
  generate(rng, o) {
    const s = balancedString(rng, o.length, o.types, o.depth);
    if (rng() < 0.5) {
      // one bracket becomes another: a different kind, or the other direction of its kind
      const i = randInt(rng, s.length);
      const choices = Array.from({ length: 2 * o.types }, (_, b) => b).filter((b) => b !== s[i]);
      s[i] = choices[randInt(rng, choices.length)];
    }
    return {
      prompt: [BOS, id("brackets"), ...s.map((b) => id(BRACKETS[b])), id("?"), id("=")],
      answer: [id(isBalanced(s) ? "yes" : "no"), EOS],
    };
  },
};
