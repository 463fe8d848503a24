// The mLSTM's parallel (quadratic) form: every token's output from one [S, S] matrix of decays.
// Training reference and test peer of the chunkwise form; O(S^2) time and memory.

import * as tf from "@tensorflow/tfjs-core";
import { decayWeights } from "./decay.js";
import { logGates } from "./gates.js";
import { type MlstmOptions, resolveMlstmOptions, sequenceDims } from "./options.js";

/**
 * mLSTM over a whole sequence in the parallel form:
 *
 *     logD[t, s] = sum_{r=s+1..t} logsigmoid(f~_r) + i~_s   (s <= t)
 *     m_t = max_s logD[t, s]   (with mInit "zero" also >= sum_{r<=t} logsigmoid(f~_r))
 *     C~ = (Q K^T / sqrt(Dqk)) * exp(logD - m);   h_t = (C~ V)_t / (max(|rowsum C~_t|, exp(-m_t)) + eps)
 *
 * @param q queries [B, H, S, Dqk]
 * @param k keys [B, H, S, Dqk]
 * @param v values [B, H, S, Dv]
 * @param iPre input gate pre-activations i~ [B, H, S]
 * @param fPre forget gate pre-activations f~ [B, H, S]
 * @returns h [B, H, S, Dv]
 */
export function mlstmParallel(
  q: tf.Tensor4D,
  k: tf.Tensor4D,
  v: tf.Tensor4D,
  iPre: tf.Tensor3D,
  fPre: tf.Tensor3D,
  opts: MlstmOptions = {},
): tf.Tensor4D {
  const fn = "mlstmParallel";
  const o = resolveMlstmOptions(fn, opts);
  const { B, H, S, K } = sequenceDims(fn, q, k, v, iPre, fPre);
  return tf.tidy(() => {
    const { logI, logF } = logGates(iPre, fPre, o.gateSoftCap); // [B, H, S] each
    const floor = o.mInit === "zero" ? tf.cumsum(logF, 2) : null; // [B, H, S] the zero state's log weight
    const { D, m: mRow } = decayWeights(logF, logI, floor); // [B, H, S, S], [B, H, S]
    const m = tf.reshape(mRow, [B, H, S, 1]); // [B, H, S, 1]
    const scores = tf.mul(tf.matMul(tf.mul(q, 1 / Math.sqrt(K)), k, false, true), D); // [B, H, S, S]
    const hNum = tf.matMul(scores, v); // [B, H, S, Dv]
    const qn = tf.sum(scores, -1, true); // [B, H, S, 1]
    const denom = tf.add(tf.maximum(tf.abs(qn), tf.exp(tf.neg(m))), o.eps); // [B, H, S, 1]
    return tf.div(hNum, denom) as tf.Tensor4D; // [B, H, S, Dv]
  });
}
