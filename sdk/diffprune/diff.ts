// One weight's share of a subnetwork: the diff delta added to the stored weight W.
//
// Phase one (GatedDiff): delta = z * w, w starting at 0 and z the hard-concrete gate over
// log_alpha (gate.ts). The gradient is the plain one, dL/dw = z * dL/dW' and dL/dlog_alpha through
// z, not the reference's straight-through (1 + z) dL/dW' (which arises there from storing a
// fine-tuned copy theta and forming theta - (theta - W).detach() + z * (theta - W)). Why: the plain
// gradient is the gradient of the loss actually minimised, so a closed gate (z = 0) leaves w alone
// instead of moving an entry that does not change the forward, and it can be checked against
// finite differences. Adam rescales per entry, so the (1 + z) factor's size would matter little.
//
// Phase two (MaskedDiff): delta = m * d with a fixed 0/1 mask m; d starts at z_eval * w * m and only
// entries under m receive gradient. Once training ends the mask is dropped: d is exactly zero
// outside it (Adam moves nothing with zero gradient and zero moments), so delta = d.

import * as tf from "@tensorflow/tfjs-core";
import type { Module } from "../nn/module.js";
import { isTraining } from "../nn/mode.js";
import { mulberry32, type Rng } from "../nn/random.js";
import { expectedL0, gate, gateDeterministic } from "./gate.js";

export interface DiffPiece extends Module {
  /** the diff added to the stored weight (like W), in the running mode */
  forward(): tf.Tensor;
  /** the variables that train */
  trainables(): Map<string, tf.Variable>;
  dispose(): void;
}

export class GatedDiff implements DiffPiece {
  readonly w: tf.Variable;
  readonly logAlpha: tf.Variable;
  private readonly rng: Rng;

  constructor(shape: readonly number[], opts: { alphaInit: number; seed: number }) {
    this.w = tf.tidy(() => tf.variable(tf.zeros([...shape]), true)); // like W
    this.logAlpha = tf.tidy(() => tf.variable(tf.fill([...shape], opts.alphaInit), true)); // like W
    this.rng = mulberry32(opts.seed);
  }

  /** z * w, with z sampled in training mode and deterministic otherwise. */
  forward(): tf.Tensor {
    const training = isTraining();
    const seed = training ? Math.floor(this.rng() * 2 ** 31) : 0;
    return tf.tidy(() => tf.mul(gate(this.logAlpha, training, seed), this.w)); // like W
  }

  /** z_eval * w: the diff the fixed mask is chosen from. */
  deterministic(): tf.Tensor {
    return tf.tidy(() => tf.mul(gateDeterministic(this.logAlpha), this.w)); // like W
  }

  /** The expected number of open gates. */
  l0(): tf.Scalar {
    return expectedL0(this.logAlpha);
  }

  trainables(): Map<string, tf.Variable> {
    return new Map([
      ["w", this.w],
      ["log_alpha", this.logAlpha],
    ]);
  }

  *namedParameters(): Iterable<[string, tf.Variable]> {
    yield* this.trainables();
  }

  dispose(): void {
    this.w.dispose();
    this.logAlpha.dispose();
  }
}

export class MaskedDiff implements DiffPiece {
  readonly d: tf.Variable;
  private mask: tf.Tensor | null;

  /** `delta` (kept as the start of d) and `mask` (0/1, like delta; null: no mask, d is final) are taken over. */
  constructor(delta: tf.Tensor, mask: tf.Tensor | null) {
    // where() rather than delta * mask: entries outside the mask are +0, never -0
    this.d = tf.tidy(() => tf.variable(mask ? tf.where(tf.cast(mask, "bool"), delta, tf.zerosLike(delta)) : delta, mask !== null)); // like W
    delta.dispose(); // the variable holds its own reference to the data
    this.mask = mask;
  }

  forward(): tf.Tensor {
    return this.mask ? tf.mul(this.mask, this.d) : this.d.clone(); // like W (a clone shares d's data)
  }

  /** Training is over: drop the mask (d is zero outside it) and stop d from training. */
  finish(): void {
    this.mask?.dispose();
    this.mask = null;
    this.d.trainable = false;
  }

  get masked(): boolean {
    return this.mask !== null;
  }

  trainables(): Map<string, tf.Variable> {
    return this.mask ? new Map([["delta", this.d]]) : new Map();
  }

  *namedParameters(): Iterable<[string, tf.Variable]> {
    yield ["delta", this.d];
  }

  dispose(): void {
    this.d.dispose();
    this.mask?.dispose();
    this.mask = null;
  }
}
