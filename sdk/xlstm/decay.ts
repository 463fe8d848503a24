// The stabilised decay weights shared by the parallel form and the chunkwise form (inside chunks,
// and between chunks): for log forget gates x and log input gates i over T tokens,
//
//     logD[t, s] = sum_{r=s+1..t} x_r + i_s   (s <= t; -inf above the diagonal)
//     m_t        = max(max_s logD[t, s], floor_t)
//     D          = exp(logD - m)
//
// The segment sums are summed directly (a reverse cumsum along each row) rather than taken as
// F[t] - F[s] of one cumsum: a long float32 cumsum grows and F[t] - F[s] loses the digits of short
// segments (METHODS.md).
//
// One op with its own gradient, for speed: autodiff through the row maximum compares every entry
// of [T, T] with its row's maximum, and through the broadcasts it sums [T, T] along columns by way
// of transposes. Here dlogD = dD * D, di = the column sums of dlogD, and dx_r, the sum of dlogD over
// the pairs s < r <= t, is the column sum (over t >= r) of the row-wise exclusive cumsum of dlogD.
// (The shorter "pairs with s < r less pairs with t < r", cumsums of column and row sums, cancels
// badly when gates are extreme: both sums grow while their difference stays small.)

// m is a stabiliser and no gradient flows through it: every form's output depends on it only
// through the eps of the denominator, h = q.C / (max(|q.n|, 1) + eps exp(m)) in unstabilised terms
// (and through scales that cancel exactly). So its gradient is that of eps exp(m) alone, smaller than
// eps exp(m) / max(|q.n|, 1) of h's own; it is dropped, as stabilisers' gradients usually are.

import * as tf from "@tensorflow/tfjs-core";

// tf.cumsum takes no negative axis: its axes below count from the front

/** [T, T] of 1 where col <= row. */
function lowerIncl(T: number): tf.Tensor2D {
  const a = new Float32Array(T * T);
  for (let t = 0; t < T; t++) a.fill(1, t * T, t * T + t + 1);
  return tf.tensor2d(a, [T, T]);
}

/** [T, T] of 0 where col <= row and -inf above. */
function causalLogMask(T: number): tf.Tensor2D {
  const a = new Float32Array(T * T);
  for (let t = 0; t < T; t++) a.fill(Number.NEGATIVE_INFINITY, t * T + t + 1, (t + 1) * T);
  return tf.tensor2d(a, [T, T]);
}

/** Sums over the second-to-last axis of x [..., T, T]: [..., T]. */
function columnSums(x: tf.Tensor): tf.Tensor {
  const T = x.shape[x.rank - 1]!;
  const lead = x.shape.slice(0, -2);
  // wasm reduces a non-innermost axis through a transpose, which is slow for large T; a product
  // with a row of ones is faster there, and slower for many small matrices (measured on wasm)
  if (T < 256) return tf.sum(x, x.rank - 2);
  const n = lead.reduce((a, b) => a * b, 1);
  return tf.reshape(tf.matMul(tf.ones([1, 1, T]), tf.reshape(x, [n, T, T])), [...lead, T]); // [..., T]
}

/** Stands in for -inf in m where a row has no visible entry, so that its D row is 0 rather than NaN. */
const EMPTY_ROW_M = -1e30;

export interface DecayWeights {
  /** exp(logD - m): [..., T, T] */
  D: tf.Tensor;
  /** the stabiliser, carrying no gradient: [..., T] */
  m: tf.Tensor;
}

/**
 * @param logF log forget gates x [..., T]
 * @param logI log input gates i [..., T] (-inf: a token that writes nothing)
 * @param floor lower bound of m [..., T] (a state's own log weight), or null; gets no gradient
 */
export function decayWeights(logF: tf.Tensor, logI: tf.Tensor, floor: tf.Tensor | null): DecayWeights {
  const T = logF.shape[logF.rank - 1]!;
  const lead = logF.shape.slice(0, -1);
  let m: tf.Tensor | null = null;
  const floorShape = floor?.shape ?? null; // the gradient needs its shape only: tensors a closure holds may be disposed by then
  const forward = (x: tf.Tensor, i: tf.Tensor, fl: tf.Tensor | null, save: tf.GradSaveFunc) => {
    const logD = tf.add(
      tf.add(tf.cumsum(tf.mul(tf.reshape(x, [...lead, 1, T]), lowerIncl(T)), lead.length + 1, true, true), tf.reshape(i, [...lead, 1, T])),
      causalLogMask(T),
    ); // [..., T(t), T(s)]: sum_{s<r<=t} x_r + i_s, -inf above the diagonal
    let rowMax: tf.Tensor = tf.max(logD, -1); // [..., T]
    if (fl) rowMax = tf.maximum(rowMax, fl); // [..., T]
    m = tf.keep(tf.maximum(rowMax, EMPTY_ROW_M)); // [..., T] outside the tape: no gradient
    const D = tf.exp(tf.sub(logD, tf.reshape(m, [...lead, T, 1]))); // [..., T, T]
    save([D]);
    const gradFunc = (dD: tf.Tensor, saved: tf.Tensor[]) => {
      const dLogD = tf.mul(dD, saved[0]!); // [..., T(t), T(s)]
      const di = columnSums(dLogD); // [..., T]
      const before = tf.cumsum(dLogD, lead.length + 1, true); // [..., T(t), T(r)] sum over s < r of dlogD[t, s]
      const dx = columnSums(tf.mul(before, lowerIncl(T))); // [..., T] over t >= r
      return floorShape ? [dx, di, tf.zeros(floorShape)] : [dx, di];
    };
    return { value: D, gradFunc };
  };
  const op = floor
    ? tf.customGrad((x, i, fl, save) => forward(x as tf.Tensor, i as tf.Tensor, fl as tf.Tensor, save as tf.GradSaveFunc))
    : tf.customGrad((x, i, save) => forward(x as tf.Tensor, i as tf.Tensor, null, save as tf.GradSaveFunc));
  const D = floor ? op(logF, logI, floor) : op(logF, logI);
  const kept = m as unknown as tf.Tensor;
  const mOut = tf.clone(kept); // [..., T] tracked by the caller's scope again
  kept.dispose();
  return { D, m: mOut };
}

/** max over `axis` with no gradient (a stabiliser whose scale cancels): zeros flow back. */
export function maxNoGradient(x: tf.Tensor, axis: number): tf.Tensor {
  const shape = x.shape;
  return tf.customGrad((a) => ({ value: tf.max(a as tf.Tensor, axis), gradFunc: () => tf.zeros(shape) }))(x);
}

/** x itself, with no gradient flowing back through it (for stabilisers). */
export function noGradient<T extends tf.Tensor>(x: T): T {
  const shape = x.shape;
  return tf.customGrad((a) => ({ value: tf.clone(a as tf.Tensor), gradFunc: () => tf.zeros(shape) }))(x) as T;
}
