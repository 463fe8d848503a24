// A classification split made ready for training: each example's ids encoded once, and per batch
// the padded ids with their labels as tensors.

import * as tf from "@tensorflow/tfjs-core";
import type { BiasExample, EncodedBatch } from "../tasks/bias-data.js";
import type { Core } from "./core.js";
import { shuffledBatches } from "./loop.js";

export interface LabelledBatch {
  batch: EncodedBatch;
  /** [B] task labels */
  labels: tf.Tensor1D;
  /** attribute -> [B] group labels */
  groups: Map<string, tf.Tensor1D>;
}

export class TrainingSet {
  private readonly rows: number[][];

  constructor(
    private readonly core: Core,
    private readonly examples: readonly BiasExample[],
    private readonly attributes: readonly string[],
  ) {
    this.rows = core.rowsOf(examples);
  }

  get size(): number {
    return this.examples.length;
  }

  /** Batches of one epoch, shuffled from (seed, epoch). */
  epoch(batchSize: number, seed: number, epoch: number): number[][] {
    return shuffledBatches(this.examples.length, batchSize, seed, epoch);
  }

  /** The batch of these example indices; dispose it with disposeBatch. */
  batch(idx: readonly number[]): LabelledBatch {
    const xs = idx.map((i) => this.examples[i]);
    return {
      batch: this.core.padRows(idx.map((i) => this.rows[i])),
      labels: tf.tensor1d(
        xs.map((e) => e.label),
        "int32",
      ),
      groups: new Map(
        this.attributes.map((a) => [
          a,
          tf.tensor1d(
            xs.map((e) => e.attributes[a]),
            "int32",
          ),
        ]),
      ),
    };
  }
}

export function disposeBatch(b: LabelledBatch): void {
  b.labels.dispose();
  tf.dispose([...b.groups.values()]);
}
