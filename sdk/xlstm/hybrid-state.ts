// A hybrid layer's decoding state, kept in the layer's slot of the model's DecodeCache: the mLSTM's
// {C, n, m} (constant in the context length) and the sliding window's keys and values (at most
// sinks + window + a block). Tensors are kept across steps and freed when replaced or disposed.

import * as tf from "@tensorflow/tfjs-core";
import type { LayerState } from "../nn/kv-cache.js";
import type { MlstmState } from "./state.js";
import { WindowStore, type WindowLayout } from "./window-store.js";

export class HybridDecodeState implements LayerState {
  mlstm: MlstmState | null = null;
  readonly window: WindowStore;
  /** positions processed */
  length = 0;

  constructor(
    layout: WindowLayout,
    /** leading padding positions of each row (from the prefill's attention mask) */
    readonly pads: readonly number[],
  ) {
    this.window = new WindowStore(layout, pads);
  }

  /** Keep the mLSTM state after a chunk and free the one before it. */
  setMlstm(next: MlstmState): void {
    const old = this.mlstm;
    this.mlstm = { C: tf.keep(next.C), n: tf.keep(next.n), m: tf.keep(next.m) };
    if (old) tf.dispose([old.C, old.n, old.m]);
  }

  /** Bytes held (float32): what decoding keeps per layer, flat in the context length. */
  get bytes(): number {
    const m = this.mlstm ? 4 * (this.mlstm.C.size + this.mlstm.n.size + this.mlstm.m.size) : 0;
    return m + this.window.bytes;
  }

  dispose(): void {
    if (this.mlstm) tf.dispose([this.mlstm.C, this.mlstm.n, this.mlstm.m]);
    this.mlstm = null;
    this.window.dispose();
  }
}
