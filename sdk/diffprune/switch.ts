// The parametrisation DiffPrune hangs on each weight of a core (through sr.nn.parametrize):
//
//   P(W) = W                                    no subnetwork active (W itself: bit for bit)
//   P(W) = W + sum_k delta_k  (or the mean)     the active subnetworks k (active.ts)
//
// One switch per weight serves every subnetwork of the core; each subnetwork's diff for this
// weight is a child named after the subnetwork, so its tensors are listed as
// "<leaf>.parametrizations.weight.<subnetwork>.delta" (or .w and .log_alpha while it trains).

import * as tf from "@tensorflow/tfjs-core";
import type { Parametrization } from "../nn/parametrize.js";
import type { Module } from "../nn/module.js";
import { activeOn } from "./active.js";
import type { DiffPiece } from "./diff.js";

export class SubnetworkSwitch implements Parametrization {
  /** subnetwork name -> its diff for this weight */
  readonly pieces = new Map<string, DiffPiece>();
  /** forwards that applied at least one diff (a check that the weight is read through its parametrisation) */
  applied = 0;

  /** `owner`: the core whose selection this switch follows */
  constructor(readonly owner: object) {}

  forward(stored: tf.Tensor): tf.Tensor {
    const active = activeOn(this.owner);
    if (!active) return stored;
    const deltas: tf.Tensor[] = [];
    for (const name of active.names) {
      const piece = this.pieces.get(name);
      if (piece) deltas.push(piece.forward()); // like W
    }
    if (deltas.length === 0) return stored;
    this.applied++;
    let sum = deltas.length === 1 ? deltas[0] : tf.addN(deltas); // like W
    // the mean over the active subnetworks, a subnetwork that leaves this weight alone counting as 0
    if (active.combine === "mean" && active.names.length > 1) sum = tf.div(sum, active.names.length); // like W
    return tf.add(stored, sum); // like W
  }

  *namedChildren(): Iterable<[string, Module]> {
    yield* this.pieces;
  }
}
