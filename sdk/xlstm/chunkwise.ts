// The mLSTM's chunkwise form: the parallel form inside chunks of L tokens, the recurrent state
// between chunks. What trains: O(S L) work and memory for the outputs, no [S, S] matrix.
//
// The states entering every chunk are computed at once rather than in a loop over chunks: with
// a_j the log weight of token j at its chunk's end and A_c = max_j a_j, chunk c adds
// dC_c = sum_j exp(a_j - A_c) k_j v_j^T, and the state entering chunk c+1 is
//     C_c = sum_{c' <= c} exp(G(c', c] + A_c' - m_c) dC_c'     (c' = 0: the initial state, A_0 = m_0)
// with G(c', c] the summed log forget gates of chunks c'+1..c and m_c the largest exponent (n alike
// with k_j): one [NC+1, NC+1] weight matrix times the stacked dC. NC is S / L (16 at S = 1024, L = 64),
// so this costs far less than the intra-chunk products, and the kernel count does not grow with S.
//
// Any S: the last chunk is padded with tokens that change nothing. A padded token has i~ = -inf
// (input weight exp(-inf) = 0: it writes nothing into C or n) and logsigmoid(f~) = 0 (forget gate
// 1: it decays nothing), and q = k = v = 0. Outputs at real positions never see later tokens, so
// they are unchanged; the state after the padding is the state after the last real token.

import * as tf from "@tensorflow/tfjs-core";
import { decayWeights, maxNoGradient, noGradient } from "./decay.js";
import { logGates } from "./gates.js";
import { DEFAULT_CHUNK_SIZE, positiveInteger, resolveMlstmOptions, sequenceDims } from "./options.js";
import type { MlstmSequenceResult, MlstmStateOptions } from "./recurrent.js";
import { padSeq, sliceSeq } from "./seq-ops.js";
import { checkState } from "./state.js";

export interface MlstmChunkwiseOptions extends MlstmStateOptions {
  /** Tokens per chunk, L. Default 64 (the reference's); clamped to S. */
  chunkSize?: number;
}

/**
 * mLSTM over a sequence in the chunkwise form (the form to train with, and to prefill with before
 * decoding token by token with {@link mlstmStep}: `returnState` gives the state to continue from).
 *
 * @param q [B, H, S, Dqk]
 * @param k [B, H, S, Dqk]
 * @param v [B, H, S, Dv]
 * @param iPre [B, H, S]
 * @param fPre [B, H, S]
 * @returns h [B, H, S, Dv]; with `returnState`, {h, state}
 */
export function mlstmChunkwise(
  q: tf.Tensor4D,
  k: tf.Tensor4D,
  v: tf.Tensor4D,
  iPre: tf.Tensor3D,
  fPre: tf.Tensor3D,
  opts: MlstmChunkwiseOptions & { returnState: true },
): MlstmSequenceResult;
export function mlstmChunkwise(
  q: tf.Tensor4D,
  k: tf.Tensor4D,
  v: tf.Tensor4D,
  iPre: tf.Tensor3D,
  fPre: tf.Tensor3D,
  opts?: MlstmChunkwiseOptions,
): tf.Tensor4D;
export function mlstmChunkwise(
  q: tf.Tensor4D,
  k: tf.Tensor4D,
  v: tf.Tensor4D,
  iPre: tf.Tensor3D,
  fPre: tf.Tensor3D,
  opts: MlstmChunkwiseOptions = {},
): tf.Tensor4D | MlstmSequenceResult {
  const fn = "mlstmChunkwise";
  const o = resolveMlstmOptions(fn, opts);
  const chunkSize = positiveInteger(fn, "chunkSize", opts.chunkSize ?? DEFAULT_CHUNK_SIZE);
  const { B, H, S, K, V } = sequenceDims(fn, q, k, v, iPre, fPre);
  const init = opts.initialState ?? null;
  if (init) checkState(fn, "initialState", init, B, H, K, V);
  const L = Math.min(chunkSize, S);
  const NC = Math.ceil(S / L);
  const P = NC * L - S; // padded tokens at the end

  const result = tf.tidy(() => {
    const gates = logGates(iPre, fPre, o.gateSoftCap); // [B, H, S] each
    const pad = (x: tf.Tensor, value = 0): tf.Tensor => padSeq(x, 0, P, value); // [B, H, NC*L, ...]
    const logI = tf.reshape(pad(gates.logI, Number.NEGATIVE_INFINITY), [B, H, NC, L]); // [B, H, NC, L]
    const logF = tf.reshape(pad(gates.logF, 0), [B, H, NC, L]); // [B, H, NC, L]
    const qc = tf.reshape(pad(tf.mul(q, 1 / Math.sqrt(K))), [B, H, NC, L, K]); // [B, H, NC, L, Dqk] scaled
    const kc = tf.reshape(pad(k), [B, H, NC, L, K]); // [B, H, NC, L, Dqk]
    const vc = tf.reshape(pad(v), [B, H, NC, L, V]); // [B, H, NC, L, Dv]

    // log weights inside each chunk
    const logDecayIn = tf.cumsum(logF, 3); // [B, H, NC, L] decay from the chunk's start through t
    const logDecayOut = tf.cumsum(logF, 3, true, true); // [B, H, NC, L] decay after j to the chunk's end
    const logDecayChunk = tf.sum(logF, 3); // [B, H, NC] decay across the whole chunk

    // what every chunk adds to the state, under its own stabiliser
    const a = tf.add(logDecayOut, logI); // [B, H, NC, L] token j's log weight at its chunk's end
    const aMax = maxNoGradient(a, 3); // [B, H, NC] a stabiliser: it cancels against exp(a - aMax) below
    const kw = tf.mul(kc, tf.reshape(tf.exp(tf.sub(a, tf.reshape(aMax, [B, H, NC, 1]))), [B, H, NC, L, 1])); // [B, H, NC, L, Dqk]
    const dC = tf.reshape(tf.matMul(kw, vc, true, false), [B, H, NC, K * V]); // [B, H, NC, Dqk*Dv]
    const dn = tf.sum(kw, 3); // [B, H, NC, Dqk]
    const m0 = init ? noGradient(init.m) : tf.fill([B, H], o.mInit === "zero" ? 0 : Number.NEGATIVE_INFINITY); // [B, H]

    // the states entering chunks 1..NC (rows 0..NC-1) and the final state (row NC), all at once;
    // with m_0 = -inf row 0 is empty, and decay.ts gives it zeros rather than NaN
    const logDecayAll = tf.pad(logDecayChunk, [
      [0, 0],
      [0, 0],
      [1, 0],
    ]); // [B, H, NC+1] (entry 0 never summed)
    const aMaxAll = tf.concat([tf.reshape(m0, [B, H, 1]), aMax], 2); // [B, H, NC+1]
    const states = decayWeights(logDecayAll, aMaxAll, null); // [B, H, NC+1, NC+1]: weight of c' in the state after c; m [B, H, NC+1]
    /** states after the chunks in rows [from, from + rows): sum over c' of weight * dC_c' (c' = 0 the initial state, if any) */
    const statesAt = (from: number, rows: number) => {
      const fromChunks = tf.slice(states.D, [0, 0, from, 1], [B, H, rows, NC]); // [B, H, rows, NC]
      let C = tf.matMul(fromChunks, dC); // [B, H, rows, Dqk*Dv]
      let n = tf.matMul(fromChunks, dn); // [B, H, rows, Dqk]
      if (init) {
        const fromInit = tf.slice(states.D, [0, 0, from, 0], [B, H, rows, 1]); // [B, H, rows, 1]
        C = tf.add(C, tf.mul(fromInit, tf.reshape(init.C, [B, H, 1, K * V]))); // [B, H, rows, Dqk*Dv]
        n = tf.add(n, tf.mul(fromInit, tf.reshape(init.n, [B, H, 1, K]))); // [B, H, rows, Dqk]
      }
      return { C, n };
    };
    const before = statesAt(0, NC);
    const CBefore = tf.reshape(before.C, [B, H, NC, K, V]); // [B, H, NC, Dqk, Dv]
    const nBefore = tf.reshape(before.n, [B, H, NC, K, 1]); // [B, H, NC, Dqk, 1]
    const mBefore = tf.slice(states.m, [0, 0, 0], [B, H, NC]); // [B, H, NC]

    // outputs: the entering state's part and the intra-chunk part under one stabiliser
    const mInter = tf.add(logDecayIn, tf.reshape(mBefore, [B, H, NC, 1])); // [B, H, NC, L] log weight of the entering state at t
    const { D, m } = decayWeights(logF, logI, mInter); // [B, H, NC, L, L], [B, H, NC, L]
    const scores = tf.mul(tf.matMul(qc, kc, false, true), D); // [B, H, NC, L, L]
    const qInter = tf.mul(qc, tf.reshape(tf.exp(tf.sub(mInter, m)), [B, H, NC, L, 1])); // [B, H, NC, L, Dqk]
    const hNum = tf.add(tf.matMul(qInter, CBefore), tf.matMul(scores, vc)); // [B, H, NC, L, Dv]
    const qn = tf.add(tf.reshape(tf.matMul(qInter, nBefore), [B, H, NC, L]), tf.sum(scores, 4)); // [B, H, NC, L]
    const denom = tf.add(tf.maximum(tf.abs(qn), tf.exp(tf.neg(m))), o.eps); // [B, H, NC, L]
    let h = tf.reshape(tf.div(hNum, tf.reshape(denom, [B, H, NC, L, 1])), [B, H, NC * L, V]) as tf.Tensor4D; // [B, H, NC*L, Dv]
    if (P > 0) h = sliceSeq(h, 0, S); // [B, H, S, Dv] (a rank-2 slice: see seq-ops.ts)
    if (!opts.returnState) return { h };

    const last = statesAt(NC, 1);
    const state = {
      C: tf.reshape(last.C, [B, H, K, V]) as tf.Tensor4D, // [B, H, Dqk, Dv]
      n: tf.reshape(last.n, [B, H, K]) as tf.Tensor3D, // [B, H, Dqk]
      m: tf.reshape(tf.slice(states.m, [0, 0, NC], [B, H, 1]), [B, H]) as tf.Tensor2D, // [B, H]
    };
    return { h, state };
  });
  return "state" in result ? (result as MlstmSequenceResult) : result.h;
}
