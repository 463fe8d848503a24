// One step of incremental PCA (Ross et al. 2008, as scikit-learn's IncrementalPCA and PEFT's EVA run
// it), on plain arrays so that it runs on any thread (sdk/eva/pca-worker.ts) without TensorFlow.js.
// Each update decomposes a small stacked matrix,
//
//   [ S[:, None] * V                                   ]   k rows: what earlier batches left
//   [ X_b - mean_b                                     ]   the batch, centred on its own mean
//   [ sqrt(n_seen n_b / (n_seen + n_b)) (mean - mean_b) ]   one row: the shift between the means
//
// (the first batch is only centred), in float64 through the eigen-decomposition of its Gram matrix on
// the shorter side (k + n_b + 1 rows or d features, whichever is fewer), then flips each component so
// that its largest-magnitude entry is positive. Mean and variance accumulate in float64. Exact when the
// rows span at most k dimensions; otherwise the discarded directions make it an approximation.

import { ArgumentError } from "../errors.js";
import { topSvdByGram } from "../lora/linalg/gram-svd.js";
import { matrix } from "../lora/linalg/matrix.js";
import { accumulate, type MeanVar } from "./mean-var.js";

/** What an incremental PCA keeps between batches. */
export interface PcaState {
  /** components kept (k) */
  k: number;
  /** [k][d]: the principal directions, strongest first, unit length */
  components: Float64Array[];
  /** [k] singular values of the centred rows seen so far */
  singularValues: Float64Array;
  /** [k] variance along each component (S^2 / (n - 1)) */
  explainedVariance: Float64Array;
  /** [k] share of the total variance along each component */
  explainedVarianceRatio: Float64Array;
  /** running mean, variance and row count (null before the first batch) */
  stats: MeanVar | null;
}

export function emptyPca(k: number): PcaState {
  const none = new Float64Array(0);
  return { k, components: [], singularValues: none, explainedVariance: none, explainedVarianceRatio: none, stats: null };
}

/** The state after n more rows of d features (row-major in `data`); `native` false keeps the
 *  decomposition in JavaScript even when LAPACK is there. `where` names the caller in errors. */
export function updatePca(
  s: PcaState,
  data: ArrayLike<number>,
  n: number,
  d: number,
  native = true,
  where = "IncrementalPCA.partialFit",
): PcaState {
  const k = s.k;
  const last = s.stats;
  if (data.length !== n * d) throw new ArgumentError("data.length", data.length, `n * d = ${n * d}`, where);
  if (last && d !== last.mean.length)
    throw new ArgumentError("x.shape[1]", d, `${last.mean.length} features, as in the first batch`, where);
  if (k > d) throw new ArgumentError("nComponents", k, `at most the ${d} features of a row`, where);
  if (n < k) throw new ArgumentError("x.shape[0]", n, `at least nComponents = ${k} rows in a batch`, where);
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) throw new ArgumentError(`x[${Math.floor(i / d)}][${i % d}]`, data[i], "a finite number", where);
  }
  const { stats: next, batchMean } = accumulate(last, data, n, d);
  const prior = last ? s.components.length : 0;
  const m = prior + n + (last ? 1 : 0);
  const stacked = matrix(m, d);
  const X = stacked.data;
  for (let j = 0; j < prior; j++) {
    const sj = s.singularValues[j];
    const c = s.components[j];
    for (let f = 0; f < d; f++) X[j * d + f] = sj * c[f];
  }
  // the first batch is centred on the (new) overall mean, which is its own; later ones on their own mean
  for (let i = 0; i < n; i++) {
    const src = i * d;
    const dst = (prior + i) * d;
    for (let f = 0; f < d; f++) X[dst + f] = data[src + f] - batchMean[f];
  }
  if (last) {
    const w = Math.sqrt((last.n * n) / (last.n + n));
    const dst = (m - 1) * d;
    for (let f = 0; f < d; f++) X[dst + f] = w * (last.mean[f] - batchMean[f]);
  }
  const { S, Vt } = topSvdByGram(stacked, Math.min(k, m, d), native);
  let total = 0;
  for (let f = 0; f < d; f++) total += next.variance[f] * next.n;
  return {
    k,
    components: Vt.map(flip),
    singularValues: S,
    explainedVariance: S.map((x) => (x * x) / Math.max(1, next.n - 1)),
    explainedVarianceRatio: S.map((x) => (total > 0 ? (x * x) / total : 0)),
    stats: next,
  };
}

/** v with its sign chosen so that its largest-magnitude entry is positive (scikit-learn's svd_flip on V;
 *  the first such entry on a tie), in place. */
function flip(v: Float64Array): Float64Array {
  let at = 0;
  for (let f = 1; f < v.length; f++) if (Math.abs(v[f]) > Math.abs(v[at])) at = f;
  if (v[at] < 0) for (let f = 0; f < v.length; f++) v[f] = -v[f];
  return v;
}
