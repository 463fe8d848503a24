// Token embedding: a [V, C] table, rows gathered by id.

import * as tf from "@tensorflow/tfjs-core";
import type { Module } from "./module.js";
import { parametrized } from "./parametrize.js";

/** table[ids]: [B, T] -> [B, T, C]. Gather's own gradient sums repeated ids with UnsortedSegmentSum
 *  (sdk/backend/wasm-kernels supplies it on wasm). */
export function embed(ids: tf.Tensor2D, table: tf.Tensor2D): tf.Tensor3D {
  return tf.tidy(() => tf.gather(table as tf.Tensor, tf.cast(ids, "int32")) as tf.Tensor3D); // [B, T, C]
}

export class Embedding implements Module {
  constructor(readonly weight: tf.Variable<tf.Rank.R2>) {}

  get numEmbeddings(): number {
    return this.weight.shape[0];
  }

  forward(ids: tf.Tensor2D): tf.Tensor3D {
    return tf.tidy(() => embed(ids, parametrized(this, "weight", this.weight)));
  }

  *namedParameters(): Iterable<[string, tf.Variable]> {
    yield ["weight", this.weight];
  }
}
