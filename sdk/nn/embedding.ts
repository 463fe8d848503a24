// Token embedding: a [V, C] table, rows gathered by id.

import * as tf from "@tensorflow/tfjs-core";
import type { Module } from "./module.js";

/**
 * table[ids]: [B, T] -> [B, T, C]. The gradient scatters rows back with scatterND (which sums
 * repeated ids): gather's stock gradient needs UnsortedSegmentSum, which the wasm backend lacks.
 */
export function embed(ids: tf.Tensor2D, table: tf.Tensor2D): tf.Tensor3D {
  return tf.tidy(() => {
    const [B, T] = ids.shape;
    const [V, C] = table.shape;
    const idx = tf.cast(ids, "int32");                                           // [B, T]
    const f = tf.customGrad(((tbl: tf.Tensor, save: tf.GradSaveFunc) => {
      save([idx]); // kept by the engine until backprop (the tidy would free it)
      return {
        value: tf.gather(tbl, idx),                                                // [B, T, C]
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
          tf.scatterND(tf.reshape(saved[0], [B * T, 1]), tf.reshape(dy, [B * T, C]), [V, C]), // [V, C]
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0]);
    return f(table) as tf.Tensor3D;                                                // [B, T, C]
  });
}

export class Embedding implements Module {
  constructor(readonly weight: tf.Variable<tf.Rank.R2>) {}

  get numEmbeddings(): number {
    return this.weight.shape[0];
  }

  forward(ids: tf.Tensor2D): tf.Tensor3D {
    return embed(ids, this.weight);
  }

  *namedParameters(): Iterable<[string, tf.Variable]> {
    yield ["weight", this.weight];
  }
}
