// Bracket matching: close the brackets a prefix leaves open, innermost first (the Dyck completion
// task of BIG-bench's dyck_languages). Every answer token must match the latest bracket still open.
// Filler words stand among the brackets (sdk/tasks/filler.ts).
//   <bos> brackets ( [ the ] ( cat [ =  ->  ] ) ) <eos>

import { BOS, EOS, BRACKETS, id } from "./vocab.js";
import { randInt, type Rng } from "./rng.js";
import { intIn, type TaskSpec } from "./spec.js";
import { withFiller } from "./filler.js";

export interface BracketsOptions {
  /** brackets in the prefix (default 24) */
  length: number;
  /** bracket kinds: 1 = (), 2 = () [], up to 4 (default 2) */
  types: number;
  /** most brackets open at once (default 4, at least 2); the answer has 1 to depth closers */
  depth: number;
  /** filler words among the brackets (default 36: at least 64 tokens in all) */
  filler: number;
}

/** The closers (bracket indices, 2k+1 closes kind k) that complete s, innermost first; null when s
 *  closes a bracket that is not open. */
export function closers(s: number[]): number[] | null {
  const stack: number[] = [];
  for (const b of s) {
    if (b % 2 === 0) stack.push(b);
    else if (stack.pop() !== b - 1) return null;
  }
  return stack.reverse().map((b) => b + 1);
}

/** A random prefix of n bracket indices that stays within `depth` open and ends with at least one open. */
function openPrefix(rng: Rng, n: number, types: number, depth: number): number[] {
  const out: number[] = [];
  const stack: number[] = [];
  for (let i = 0; i < n; i++) {
    // the last bracket must leave something open: open when the stack would otherwise end empty
    const mustOpen = stack.length === 0 || (i === n - 1 && stack.length === 1);
    const open = mustOpen || (stack.length < depth && rng() < 0.5);
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
  description: "close the open brackets",
  defaults: { length: 24, types: 2, depth: 4, filler: 36 },
  validate(o) {
    intIn("brackets", "length", o.length, 1, 1000);
    intIn("brackets", "types", o.types, 1, 4);
    intIn("brackets", "depth", o.depth, 2, 100);
    intIn("brackets", "filler", o.filler, 0, 10_000);
  },
  generate(rng, o) {
    const s = openPrefix(rng, o.length, o.types, o.depth);
    return {
      prompt: [
        BOS,
        id("brackets"),
        ...withFiller(
          rng,
          s.map((b) => BRACKETS[b]),
          o.filler,
        ).map(id),
        id("="),
      ],
      answer: [...closers(s)!.map((b) => id(BRACKETS[b])), EOS],
    };
  },
};
