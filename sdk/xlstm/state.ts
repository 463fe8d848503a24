// The mLSTM's recurrent state {C, n, m}: what a decoder keeps per layer between tokens, constant in
// the context length. Stabilised: the true matrix memory is C * exp(m), the true normaliser n * exp(m).

import * as tf from "@tensorflow/tfjs-core";
import { ArgumentError } from "../errors.js";
import { expectShape, type ResolvedMlstmOptions } from "./options.js";

export type MlstmState = {
  /** matrix memory sum_s w_s k_s v_s^T, stabilised: [B, H, Dqk, Dv] */
  C: tf.Tensor4D;
  /** normaliser sum_s w_s k_s, stabilised: [B, H, Dqk] */
  n: tf.Tensor3D;
  /** stabiliser (log scale of C and n): [B, H] */
  m: tf.Tensor2D;
};

/** The state before the first token: C = 0, n = 0, m = -inf or 0 (see `mInit`). Dispose with tf.dispose(state). */
export function mlstmZeroState(B: number, H: number, Dqk: number, Dv: number, mInit: ResolvedMlstmOptions["mInit"] = "-inf"): MlstmState {
  return {
    C: tf.zeros([B, H, Dqk, Dv]) as tf.Tensor4D, // [B, H, Dqk, Dv]
    n: tf.zeros([B, H, Dqk]) as tf.Tensor3D, // [B, H, Dqk]
    m: tf.fill([B, H], mInit === "zero" ? 0 : Number.NEGATIVE_INFINITY) as tf.Tensor2D, // [B, H]
  };
}

export function checkState(fn: string, arg: string, s: MlstmState, B: number, H: number, K: number, V: number): void {
  if (!s || typeof s !== "object") throw new ArgumentError(arg, s, "a state {C, n, m}", fn);
  expectShape(fn, `${arg}.C`, s.C, [B, H, K, V], "[B, H, Dqk, Dv]");
  expectShape(fn, `${arg}.n`, s.n, [B, H, K], "[B, H, Dqk]");
  expectShape(fn, `${arg}.m`, s.m, [B, H], "[B, H]");
}
