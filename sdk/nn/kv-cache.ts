// Decoding state. Each attention module keeps its own state in a slot that the model hands it
// (a KV cache for softmax attention; a hybrid module may keep a recurrent state instead).
// State tensors outlive the step's tf.tidy: they are kept, and disposed when replaced or at the end.

import * as tf from "@tensorflow/tfjs-core";

export interface LayerState {
  dispose(): void;
}

/** One layer's slot; the module that runs there creates and updates `state`. */
export interface StateSlot {
  state?: LayerState;
}

/** Keys and values of every position seen so far: [B, Hkv, S, D] each. */
export class KVState implements LayerState {
  k: tf.Tensor4D | null = null;
  v: tf.Tensor4D | null = null;

  get length(): number {
    return this.k ? this.k.shape[2] : 0;
  }

  /** Append this step's k, v [B, Hkv, T, D]; returns the full k, v [B, Hkv, S+T, D] (kept). */
  append(k: tf.Tensor4D, v: tf.Tensor4D): [tf.Tensor4D, tf.Tensor4D] {
    const kAll = this.k ? (tf.concat([this.k, k], 2) as tf.Tensor4D) : k; // [B, Hkv, S+T, D]
    const vAll = this.v ? (tf.concat([this.v, v], 2) as tf.Tensor4D) : v; // [B, Hkv, S+T, D]
    this.dispose();
    this.k = tf.keep(kAll);
    this.v = tf.keep(vAll);
    return [kAll, vAll];
  }

  dispose(): void {
    this.k?.dispose();
    this.v?.dispose();
    this.k = this.v = null;
  }
}

/** The state of every layer for one generation. */
export class DecodeCache {
  readonly slots: StateSlot[];
  /** positions already processed */
  length = 0;

  constructor(nLayers: number) {
    this.slots = Array.from({ length: nLayers }, () => ({}));
  }

  dispose(): void {
    for (const s of this.slots) {
      s.state?.dispose();
      s.state = undefined;
    }
  }
}
