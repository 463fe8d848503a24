// Addition of two numbers, digits least significant first in the operands and in the sum (the sum
// has one digit more). Written that way, the digits to add sit at the same distance from every
// answer digit and each carry is known from the digits just before it, so a small model learns
// the algorithm; most significant first ("reversed: false") is the harder, usual form.
//   <bos> add 3 9 + 8 1 =  ->  1 1 1 <eos>        93 + 18 = 111

import { BOS, EOS, id } from "./vocab.js";
import { randInt } from "./rng.js";
import { TaskConfigError, intIn, type TaskSpec } from "./spec.js";

export interface AddOptions {
  /** digits per operand (default 20) */
  digits: number;
  /** least significant digit first, operands and sum (default true) */
  reversed: boolean;
}

/** The digits of a + b, least significant first, one more than the operands (a, b: least significant first). */
export function addDigits(a: number[], b: number[]): number[] {
  const sum: number[] = [];
  let carry = 0;
  a.forEach((x, i) => {
    const s = x + b[i] + carry;
    sum.push(s % 10);
    carry = s >= 10 ? 1 : 0;
  });
  return [...sum, carry];
}

export const add: TaskSpec<AddOptions> = {
  name: "add",
  description: "add two numbers, least significant digit first",
  defaults: { digits: 20, reversed: true },
  validate(o) {
    intIn("add", "digits", o.digits, 1, 500);
    if (typeof o.reversed !== "boolean") throw new TaskConfigError("add", "reversed", o.reversed, "true or false");
  },
  generate(rng, o) {
    const a = Array.from({ length: o.digits }, () => randInt(rng, 10)); // least significant first
    const b = Array.from({ length: o.digits }, () => randInt(rng, 10));
    const sum = addDigits(a, b);
    const order = (xs: number[]) => (o.reversed ? xs : [...xs].reverse()).map((x) => id(String(x)));
    return {
      prompt: [BOS, id("add"), ...order(a), id("+"), ...order(b), id("=")],
      answer: [...order(sum), EOS],
    };
  },
};
