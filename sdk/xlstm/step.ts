// One token of the mLSTM in recurrent form: what a decoder runs per token, at a cost independent of
// how many tokens came before.

import * as tf from "@tensorflow/tfjs-core";
import { noGradient } from "./decay.js";
import { logGates } from "./gates.js";
import { badShape, expectShape, type MlstmOptions, type ResolvedMlstmOptions, resolveMlstmOptions } from "./options.js";
import { checkState, type MlstmState, mlstmZeroState } from "./state.js";

export type MlstmStepResult = {
  /** [B, H, Dv] */
  h: tf.Tensor3D;
  /** the state after this token (new tensors; the caller disposes the old state) */
  state: MlstmState;
};

/**
 * One token through the mLSTM:
 *
 *     m_t = max(logsigmoid(f~) + m_{t-1}, i~)
 *     C_t = exp(logsigmoid(f~) + m_{t-1} - m_t) C_{t-1} + exp(i~ - m_t) k v^T    (n_t alike with k)
 *     h_t = (q' C_t) / (max(|q' n_t|, exp(-m_t)) + eps),   q' = q / sqrt(Dqk)
 *
 * @param state {C [B, H, Dqk, Dv], n [B, H, Dqk], m [B, H]}, or null before the first token
 * @param q [B, H, Dqk]
 * @param k [B, H, Dqk]
 * @param v [B, H, Dv]
 * @param iPre [B, H]
 * @param fPre [B, H]
 * @returns h [B, H, Dv] and the new state; the given state is left as it was
 */
export function mlstmStep(
  state: MlstmState | null,
  q: tf.Tensor3D,
  k: tf.Tensor3D,
  v: tf.Tensor3D,
  iPre: tf.Tensor2D,
  fPre: tf.Tensor2D,
  opts: MlstmOptions = {},
): MlstmStepResult {
  const fn = "mlstmStep";
  const o = resolveMlstmOptions(fn, opts);
  if (q?.rank !== 3) badShape(fn, "q", q, "[B, H, Dqk] (one token)");
  const [B, H, K] = q.shape;
  if (v?.rank !== 3) badShape(fn, "v", v, "[B, H, Dv] (one token)");
  const V = v.shape[2];
  expectShape(fn, "k", k, [B, H, K], "[B, H, Dqk] like q");
  expectShape(fn, "v", v, [B, H, V], "[B, H, Dv]");
  expectShape(fn, "iPre", iPre, [B, H], "[B, H]");
  expectShape(fn, "fPre", fPre, [B, H], "[B, H]");
  if (state) checkState(fn, "state", state, B, H, K, V);
  return tf.tidy(() => {
    const prev = state ?? mlstmZeroState(B, H, K, V, o.mInit);
    const r = stepUnchecked(prev, q, k, v, iPre, fPre, o);
    return { h: r.h, state: r.state };
  });
}

/** mlstmStep without validation, for loops that checked their inputs once. Call inside tf.tidy. */
export function stepUnchecked(
  prev: MlstmState,
  q: tf.Tensor3D,
  k: tf.Tensor3D,
  v: tf.Tensor3D,
  iPre: tf.Tensor2D,
  fPre: tf.Tensor2D,
  o: ResolvedMlstmOptions,
): MlstmStepResult {
  const [B, H, K] = q.shape;
  const V = v.shape[2];
  const { logI, logF } = logGates(iPre, fPre, o.gateSoftCap); // [B, H] each
  const decayed = tf.add(logF, prev.m); // [B, H]
  const m = noGradient(tf.maximum(decayed, logI)) as tf.Tensor2D; // [B, H] a stabiliser: no gradient (see decay.ts)
  const fAct = tf.exp(tf.sub(decayed, m)); // [B, H] forget weight of the old state
  const iAct = tf.exp(tf.sub(logI, m)); // [B, H] input weight of this token
  const kIn = tf.mul(k, tf.reshape(iAct, [B, H, 1])); // [B, H, Dqk]
  const C = tf.add(
    tf.mul(prev.C, tf.reshape(fAct, [B, H, 1, 1])),
    tf.mul(tf.reshape(kIn, [B, H, K, 1]), tf.reshape(v, [B, H, 1, V])),
  ) as tf.Tensor4D; // [B, H, Dqk, Dv]
  const n = tf.add(tf.mul(prev.n, tf.reshape(fAct, [B, H, 1])), kIn) as tf.Tensor3D; // [B, H, Dqk]
  const qs = tf.reshape(tf.mul(q, 1 / Math.sqrt(K)), [B, H, 1, K]); // [B, H, 1, Dqk]
  const hNum = tf.reshape(tf.matMul(qs, C), [B, H, V]); // [B, H, Dv]
  const qn = tf.reshape(tf.matMul(qs, tf.reshape(n, [B, H, K, 1])), [B, H, 1]); // [B, H, 1]
  const denom = tf.add(tf.maximum(tf.abs(qn), tf.exp(tf.neg(tf.reshape(m, [B, H, 1])))), o.eps); // [B, H, 1]
  return { h: tf.div(hNum, denom) as tf.Tensor3D, state: { C, n, m } }; // h [B, H, Dv]
}
