// The mLSTM's recurrent form over a sequence: mlstmStep token by token. The reference the other
// forms are held to, and the form decoding continues with.

import * as tf from "@tensorflow/tfjs-core";
import { type MlstmOptions, resolveMlstmOptions, sequenceDims } from "./options.js";
import { checkState, type MlstmState, mlstmZeroState } from "./state.js";
import { stepUnchecked } from "./step.js";

export interface MlstmStateOptions extends MlstmOptions {
  /** The state before the first token (for example a previous call's final state). Default: the zero state. */
  initialState?: MlstmState | null;
  /** Also return the state after the last token: the result is then {h, state}. */
  returnState?: boolean;
}

export type MlstmSequenceResult = {
  /** [B, H, S, Dv] */
  h: tf.Tensor4D;
  /** after the last token: C [B, H, Dqk, Dv], n [B, H, Dqk], m [B, H] */
  state: MlstmState;
};

/**
 * mLSTM over a sequence in the recurrent form (one {@link mlstmStep} per token): S small kernels in
 * a row, so slow to train through; exact, and the form decoding continues in.
 *
 * @param q [B, H, S, Dqk]
 * @param k [B, H, S, Dqk]
 * @param v [B, H, S, Dv]
 * @param iPre [B, H, S]
 * @param fPre [B, H, S]
 * @returns h [B, H, S, Dv]; with `returnState`, {h, state}
 */
export function mlstmRecurrent(
  q: tf.Tensor4D,
  k: tf.Tensor4D,
  v: tf.Tensor4D,
  iPre: tf.Tensor3D,
  fPre: tf.Tensor3D,
  opts: MlstmStateOptions & { returnState: true },
): MlstmSequenceResult;
export function mlstmRecurrent(
  q: tf.Tensor4D,
  k: tf.Tensor4D,
  v: tf.Tensor4D,
  iPre: tf.Tensor3D,
  fPre: tf.Tensor3D,
  opts?: MlstmStateOptions,
): tf.Tensor4D;
export function mlstmRecurrent(
  q: tf.Tensor4D,
  k: tf.Tensor4D,
  v: tf.Tensor4D,
  iPre: tf.Tensor3D,
  fPre: tf.Tensor3D,
  opts: MlstmStateOptions = {},
): tf.Tensor4D | MlstmSequenceResult {
  const fn = "mlstmRecurrent";
  const o = resolveMlstmOptions(fn, opts);
  const { B, H, S, K, V } = sequenceDims(fn, q, k, v, iPre, fPre);
  if (opts.initialState) checkState(fn, "initialState", opts.initialState, B, H, K, V);
  const result = tf.tidy(() => {
    const qs = tf.unstack(q, 2) as tf.Tensor3D[]; // S x [B, H, Dqk]
    const ks = tf.unstack(k, 2) as tf.Tensor3D[]; // S x [B, H, Dqk]
    const vs = tf.unstack(v, 2) as tf.Tensor3D[]; // S x [B, H, Dv]
    const is = tf.unstack(iPre, 2) as tf.Tensor2D[]; // S x [B, H]
    const fs = tf.unstack(fPre, 2) as tf.Tensor2D[]; // S x [B, H]
    const first = opts.initialState ?? mlstmZeroState(B, H, K, V, o.mInit);
    let state = first;
    const hs: tf.Tensor3D[] = [];
    for (let t = 0; t < S; t++) {
      // each step in its own scope, so that without a gradient tape memory stays at one state
      const prev = state;
      const r = tf.tidy(() => stepUnchecked(prev, qs[t]!, ks[t]!, vs[t]!, is[t]!, fs[t]!, o));
      if (prev !== first) tf.dispose(prev);
      hs.push(r.h);
      state = r.state;
      tf.dispose([qs[t]!, ks[t]!, vs[t]!, is[t]!, fs[t]!]);
    }
    const h = tf.stack(hs, 2) as tf.Tensor4D; // [B, H, S, Dv]
    return { h, state };
  });
  if (opts.returnState) return result;
  tf.dispose(result.state);
  return result.h;
}
