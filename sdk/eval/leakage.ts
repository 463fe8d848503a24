// Leakage: how well a fresh attacker predicts a protected attribute from frozen representations.
// As in the DiffPrune reference's post-hoc attack: the same five-head MLP as the adversary
// (sr.diffprune's Adversary), AdamW lr 1e-4 (PyTorch's default weight decay 0.01), batch 64, 40
// epochs, no early stopping; the heads' majority vote predicts; the reported epoch is the one with
// the best validation balanced accuracy, scored on the test representations.

import * as tf from "@tensorflow/tfjs-core";
import { ArgumentError } from "../errors.js";
import { namedParameters } from "../nn/module.js";
import { withTraining } from "../nn/mode.js";
import { Adversary } from "../diffprune/heads.js";
import { group, shuffledBatches, Stepper, stopPoint, yieldToEventLoop } from "../diffprune/loop.js";
import { progressSink } from "../train/progress.js";
import { accuracy, balancedAccuracy, majorityRate } from "./metrics.js";

export interface AttackerOptions {
  /** default 40 */
  epochs?: number;
  /** default 1e-4 */
  lr?: number;
  /** default 64 */
  batchSize?: number;
  /** default 5 */
  heads?: number;
  /** default 0.3 */
  dropout?: number;
  /** decoupled weight decay on matrices (default 0.01, PyTorch's AdamW default) */
  weightDecay?: number;
  /** default 0 */
  seed?: number;
  /** no terminal progress bar */
  quiet?: boolean;
  /** stops the attack at its next step */
  signal?: AbortSignal;
}

export const ATTACKER_DEFAULTS = { epochs: 40, lr: 1e-4, batchSize: 64, heads: 5, dropout: 0.3, weightDecay: 0.01, seed: 0 };

/** Representations [N, C] and their attribute labels. */
export interface Labelled {
  h: tf.Tensor2D;
  y: ArrayLike<number>;
}

export interface Leakage {
  /** test accuracy of the majority vote at the chosen epoch */
  accuracy: number;
  balancedAccuracy: number;
  /** what always guessing the test split's most frequent group scores */
  majority: number;
  /** the chosen epoch (1-based) and its validation balanced accuracy */
  bestEpoch: number;
  valBalancedAccuracy: number;
  /** validation balanced accuracy after each epoch */
  valHistory: number[];
  epochs: number;
}

function check(o: AttackerOptions): Required<Omit<AttackerOptions, "signal">> & { signal?: AbortSignal } {
  const c = { ...ATTACKER_DEFAULTS, quiet: false, ...o };
  for (const k of ["epochs", "batchSize", "heads"] as const) {
    if (!Number.isInteger(c[k]) || c[k] < 1) throw new ArgumentError(`attacker.${k}`, c[k], "an integer >= 1", "leakage");
  }
  if (!(c.lr > 0)) throw new ArgumentError("attacker.lr", c.lr, "a number > 0", "leakage");
  if (!(c.dropout >= 0 && c.dropout < 1)) throw new ArgumentError("attacker.dropout", c.dropout, "a number in [0, 1)", "leakage");
  if (!(c.weightDecay >= 0)) throw new ArgumentError("attacker.weightDecay", c.weightDecay, "a number >= 0", "leakage");
  return c;
}

/** Train a fresh attacker on `train`, choose its epoch on `val`, score it on `test`. */
export async function leakage(
  train: Labelled,
  val: Labelled,
  test: Labelled,
  classes: number,
  opts: AttackerOptions = {},
  label = "leakage",
): Promise<Leakage> {
  const c = check(opts);
  const C = train.h.shape[1];
  const adversary = new Adversary(C, classes, { heads: c.heads, dropout: c.dropout, seed: c.seed });
  const stepper = new Stepper(group(namedParameters(adversary), c.lr, c.weightDecay), 0);
  const yTrain = tf.tensor1d(Array.from(train.y), "int32");
  const sink = progressSink(label, c.epochs, c.quiet);
  let best: Leakage | null = null;
  const valHistory: number[] = [];
  try {
    for (let epoch = 0; epoch < c.epochs; epoch++) {
      for (const idx of shuffledBatches(train.h.shape[0], c.batchSize, c.seed, epoch)) {
        stopPoint(`${label}: epoch ${epoch + 1} of ${c.epochs}`, c.signal);
        stepper.step(() =>
          withTraining(true, () => {
            const i = tf.tensor1d(idx, "int32"); // [b]
            return adversary.loss(tf.gather(train.h, i) as tf.Tensor2D, tf.gather(yTrain, i) as tf.Tensor1D); // []
          }),
        );
      }
      const valBacc = balancedAccuracy(adversary.predict(val.h), val.y);
      valHistory.push(valBacc);
      if (!best || valBacc > best.valBalancedAccuracy) {
        const pred = adversary.predict(test.h);
        best = {
          accuracy: accuracy(pred, test.y),
          balancedAccuracy: balancedAccuracy(pred, test.y),
          majority: majorityRate(test.y),
          bestEpoch: epoch + 1,
          valBalancedAccuracy: valBacc,
          valHistory,
          epochs: c.epochs,
        };
      }
      sink.update(epoch + 1, { "val bacc": valBacc });
      await yieldToEventLoop();
    }
    sink.done();
  } finally {
    stepper.dispose();
    yTrain.dispose();
    for (const v of namedParameters(adversary).values()) v.dispose();
  }
  return best!;
}
