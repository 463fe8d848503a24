// Modular addition, digit by digit: (a_i + b_i) mod m.   <bos> add 3 9 + 8 1 =  ->  1 0 <eos>

import { BOS, EOS, id } from "./vocab.js";
import { randInt } from "./rng.js";
import { intIn, type TaskSpec } from "./spec.js";

export interface AddOptions {
  /** digits per operand (default 20) */
  length: number;
  /** modulus (default 10; digits are 0 .. modulus-1) */
  modulus: number;
}

export const add: TaskSpec<AddOptions> = {
  name: "add",
  description: "elementwise modular addition",
  defaults: { length: 20, modulus: 10 },
  validate(o) {
    intIn("add", "length", o.length, 1, 1000);
    intIn("add", "modulus", o.modulus, 2, 10);
  },
  generate(rng, o) {
    const a = Array.from({ length: o.length }, () => randInt(rng, o.modulus));
    const b = Array.from({ length: o.length }, () => randInt(rng, o.modulus));
    const d = (x: number) => id(String(x));
    return {
      prompt: [BOS, id("add"), ...a.map(d), id("+"), ...b.map(d), id("=")],
      answer: [...a.map((x, i) => d((x + b[i]) % o.modulus)), EOS],
    };
  },
};
