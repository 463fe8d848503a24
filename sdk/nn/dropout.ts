// Inverted dropout: while training, zero each entry with probability p and scale the rest by
// 1 / (1 - p); in evaluation mode, the identity.

import * as tf from "@tensorflow/tfjs-core";
import { ArgumentError } from "../errors.js";
import type { Module } from "./module.js";
import { isTraining } from "./mode.js";
import { mulberry32, type Rng } from "./random.js";

/** x with entries zeroed at rate p and the rest scaled by 1 / (1 - p); the mask is drawn from `seed`. */
export function dropout(x: tf.Tensor, p: number, seed: number): tf.Tensor {
  if (p === 0) return x.clone();
  return tf.tidy(() => {
    const u = tf.randomUniform(x.shape, 0, 1, "float32", seed); // like x
    const keep = tf.cast(tf.greaterEqual(u, p), "float32"); // like x, 1 = kept
    return tf.mul(x, tf.mul(keep, 1 / (1 - p))); // like x
  });
}

export class Dropout implements Module {
  private readonly rng: Rng;

  /** `p` in [0, 1): the probability of zeroing an entry; `seed` makes the masks repeat run to run. */
  constructor(
    readonly p: number,
    seed = 0,
  ) {
    if (!(typeof p === "number" && p >= 0 && p < 1)) throw new ArgumentError("p", p, "a number in [0, 1)", "Dropout");
    this.rng = mulberry32(seed);
  }

  /** A fresh mask on every training call; the identity in evaluation mode. */
  forward(x: tf.Tensor): tf.Tensor {
    if (!isTraining() || this.p === 0) return x.clone();
    return dropout(x, this.p, Math.floor(this.rng() * 2 ** 31));
  }
}
