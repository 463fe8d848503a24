// The classifier heads on a pooled representation h [B, C]:
//   task head   Dropout -> Linear(C, L)
//   adversary   K parallel heads (default 5), each Dropout -> Linear(C, C) -> tanh -> Dropout -> Linear(C, n)
// as in the DiffPrune reference (ClfHead, AdvHead). Linears start as PyTorch's nn.Linear does:
// weight and bias ~ U(-1/sqrt(in), 1/sqrt(in)). The adversary's heads see the same input and learn
// independently; their loss is the mean of the heads' losses, their prediction the majority vote.

import * as tf from "@tensorflow/tfjs-core";
import { Dropout } from "../nn/dropout.js";
import { Linear } from "../nn/linear.js";
import { callModule, type Module } from "../nn/module.js";
import { mulberry32, subSeed } from "../nn/random.js";
import { headLoss, majorityVote, outputsFor, predictions } from "./losses.js";

/** A Linear(inF, outF) initialised like torch.nn.Linear, from a seed. */
export function initLinear(inF: number, outF: number, seed: number): Linear {
  const rng = mulberry32(seed);
  const bound = 1 / Math.sqrt(inF);
  const draw = (n: number) => Float32Array.from({ length: n }, () => (2 * rng() - 1) * bound);
  const weight = tf.tidy(() => tf.variable(tf.tensor2d(draw(outF * inF), [outF, inF])));
  const bias = tf.tidy(() => tf.variable(tf.tensor1d(draw(outF))));
  return new Linear(weight, bias);
}

/** Dropout -> Linear(C, L): the task head. */
export class TaskHead implements Module {
  readonly dropout: Dropout;
  constructor(
    readonly proj: Linear,
    dropout: number,
    seed: number,
  ) {
    this.dropout = new Dropout(dropout, subSeed(seed, "task.dropout"));
  }

  static create(inFeatures: number, classes: number, opts: { dropout: number; seed: number }): TaskHead {
    return new TaskHead(initLinear(inFeatures, classes, subSeed(opts.seed, "task.proj")), opts.dropout, opts.seed);
  }

  /** h [B, C] -> logits [B, L] */
  forward(h: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => callModule(this.proj, callModule(this.dropout, h)) as tf.Tensor2D); // [B, L]
  }

  *namedChildren(): Iterable<[string, Module]> {
    yield ["proj", this.proj];
  }
}

/** Dropout -> Linear(C, C) -> tanh -> Dropout -> Linear(C, n): one adversary head. */
export class MlpHead implements Module {
  private readonly drop1: Dropout;
  private readonly drop2: Dropout;
  constructor(
    readonly fc1: Linear,
    readonly fc2: Linear,
    dropout: number,
    seed: number,
  ) {
    this.drop1 = new Dropout(dropout, subSeed(seed, "drop1"));
    this.drop2 = new Dropout(dropout, subSeed(seed, "drop2"));
  }

  /** h [B, C] -> logits [B, n] */
  forward(h: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const a = tf.tanh(callModule(this.fc1, callModule(this.drop1, h))); // [B, C]
      return callModule(this.fc2, callModule(this.drop2, a)) as tf.Tensor2D; // [B, n]
    });
  }

  *namedChildren(): Iterable<[string, Module]> {
    yield ["fc1", this.fc1];
    yield ["fc2", this.fc2];
  }
}

export interface AdversaryOptions {
  /** parallel heads (default 5) */
  heads?: number;
  /** dropout before each linear (default 0.3) */
  dropout?: number;
  seed?: number;
}

/** K MLP heads predicting one attribute with `classes` groups from h [B, C]. */
export class Adversary implements Module {
  readonly heads: MlpHead[];

  constructor(
    readonly inFeatures: number,
    readonly classes: number,
    opts: AdversaryOptions = {},
  ) {
    const K = opts.heads ?? 5;
    if (!Number.isInteger(K) || K < 1) throw new Error(`Adversary: heads = ${K}: expected an integer >= 1`);
    if (!Number.isInteger(classes) || classes < 2) throw new Error(`Adversary: classes = ${classes}: expected an integer >= 2`);
    const seed = opts.seed ?? 0;
    const n = outputsFor(classes);
    this.heads = Array.from({ length: K }, (_, k) => {
      const s = subSeed(seed, `adversary.${k}`);
      return new MlpHead(
        initLinear(inFeatures, inFeatures, subSeed(s, "fc1")),
        initLinear(inFeatures, n, subSeed(s, "fc2")),
        opts.dropout ?? 0.3,
        s,
      );
    });
  }

  /** h [B, C] -> logits of every head [K, B, n] */
  forward(h: tf.Tensor2D): tf.Tensor3D {
    return tf.tidy(() => tf.stack(this.heads.map((m) => callModule(m, h))) as tf.Tensor3D); // [K, B, n]
  }

  /** The mean over heads of each head's loss against labels [B]. */
  loss(h: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
    return tf.tidy(() => tf.mean(tf.stack(this.heads.map((m) => headLoss(callModule(m, h), labels)))) as tf.Scalar); // []
  }

  /** The heads' majority vote for each row of h [B, C]. */
  predict(h: tf.Tensor2D): Int32Array {
    return majorityVote(this.heads.map((m) => tf.tidy(() => predictions(callModule(m, h)))));
  }

  *namedChildren(): Iterable<[string, Module]> {
    for (const [k, m] of this.heads.entries()) yield [String(k), m];
  }
}
