// Incremental PCA (Ross et al. 2008, as scikit-learn's IncrementalPCA and PEFT's EVA run it): the
// top k principal directions of all rows seen so far, updated one batch at a time without keeping
// the rows. Each update decomposes a small stacked matrix,
//
//   [ S[:, None] * V                                   ]   k rows: what earlier batches left
//   [ X_b - mean_b                                     ]   the batch, centred on its own mean
//   [ sqrt(n_seen n_b / (n_seen + n_b)) (mean - mean_b) ]   one row: the shift between the means
//
// (the first batch is only centred), in float64 through the eigen-decomposition of its Gram matrix on
// the shorter side (k + n_b + 1 rows or d features, whichever is fewer), then flips each component so
// that its largest-magnitude entry is positive. Mean and variance accumulate in float64. Exact when the
// rows span at most k dimensions; otherwise the discarded directions make it an approximation.

import * as tf from "@tensorflow/tfjs-core";
import { ArgumentError } from "../errors.js";
import { matrix } from "../lora/linalg/matrix.js";
import { topSvdByGram } from "../lora/linalg/gram-svd.js";
import { type MeanVar, updateMeanVar } from "./mean-var.js";

export class IncrementalPCA {
  /** [k][d]: the principal directions, strongest first, unit length */
  components: Float64Array[] = [];
  /** [k] singular values of the centred rows seen so far (they grow like sqrt(nSamplesSeen)) */
  singularValues: Float64Array = new Float64Array(0);
  /** [k] variance along each component (S^2 / (n - 1)) */
  explainedVariance: Float64Array = new Float64Array(0);
  /** [k] share of the total variance along each component */
  explainedVarianceRatio: Float64Array = new Float64Array(0);
  private stats: MeanVar | null = null;

  /** `nComponents`: how many directions to keep (k). */
  constructor(readonly nComponents: number) {
    if (!Number.isInteger(nComponents) || nComponents < 1)
      throw new ArgumentError("nComponents", nComponents, "an integer >= 1", "IncrementalPCA");
  }

  /** Rows seen by partialFit. */
  get nSamplesSeen(): number {
    return this.stats?.n ?? 0;
  }

  /** [d] mean of the rows seen (null before the first batch). */
  get mean(): Float64Array | null {
    return this.stats?.mean ?? null;
  }

  /** [d] per-feature (population) variance of the rows seen (null before the first batch). */
  get variance(): Float64Array | null {
    return this.stats?.variance ?? null;
  }

  /** Features per row, fixed by the first batch (null before it). */
  get nFeatures(): number | null {
    return this.stats?.mean.length ?? null;
  }

  /** Update with a batch of rows x [n, d], n >= nComponents. */
  partialFit(x: tf.Tensor2D | readonly ArrayLike<number>[]): this {
    if (x instanceof tf.Tensor) {
      if (x.rank !== 2) throw new ArgumentError("x.shape", x.shape, "[n, d] (a 2-D tensor of rows)", "IncrementalPCA.partialFit");
      return this.partialFitArray(x.dataSync() as Float32Array, x.shape[0], x.shape[1]);
    }
    if (!Array.isArray(x) || x.length === 0)
      throw new ArgumentError("x", x, "rows [n, d] (a 2-D tensor or arrays of numbers)", "IncrementalPCA.partialFit");
    const d = x[0].length;
    const flat = new Float64Array(x.length * d);
    x.forEach((r, i) => {
      if (r.length !== d) throw new ArgumentError(`x[${i}].length`, r.length, `${d} like x[0]`, "IncrementalPCA.partialFit");
      flat.set(r, i * d);
    });
    return this.partialFitArray(flat, x.length, d);
  }

  /** Update with n rows of d features, row-major in `data` (what partialFit does after reading its input). */
  partialFitArray(data: ArrayLike<number>, n: number, d: number): this {
    const where = "IncrementalPCA.partialFit";
    const k = this.nComponents;
    if (data.length !== n * d) throw new ArgumentError("data.length", data.length, `n * d = ${n * d}`, where);
    if (this.stats && d !== this.nFeatures)
      throw new ArgumentError("x.shape[1]", d, `${this.nFeatures} features, as in the first batch`, where);
    if (k > d) throw new ArgumentError("nComponents", k, `at most the ${d} features of a row`, where);
    if (n < k) throw new ArgumentError("x.shape[0]", n, `at least nComponents = ${k} rows in a batch`, where);
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i])) throw new ArgumentError(`x[${Math.floor(i / d)}][${i % d}]`, data[i], "a finite number", where);
    }
    const last = this.stats;
    const next = updateMeanVar(last, data, n, d);
    const prior = last ? this.components.length : 0;
    const m = prior + n + (last ? 1 : 0);
    const stacked = matrix(m, d);
    const X = stacked.data;
    for (let j = 0; j < prior; j++) {
      const s = this.singularValues[j];
      const c = this.components[j];
      for (let f = 0; f < d; f++) X[j * d + f] = s * c[f];
    }
    // the first batch is centred on the (new) overall mean, which is its own; later ones on their own mean
    const batchMean = last ? columnMean(data, n, d) : next.mean;
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
    const { S, Vt } = topSvdByGram(stacked, Math.min(k, m, d));
    let total = 0;
    for (let f = 0; f < d; f++) total += next.variance[f] * next.n;
    this.components = Vt.map(flipped);
    this.singularValues = S;
    this.explainedVariance = this.singularValues.map((s) => (s * s) / Math.max(1, next.n - 1));
    this.explainedVarianceRatio = this.singularValues.map((s) => (total > 0 ? (s * s) / total : 0));
    this.stats = next;
    return this;
  }

  /** The components as a float32 tensor [k, d] (the caller disposes it). */
  componentsTensor(): tf.Tensor2D {
    if (!this.components.length) throw new Error("IncrementalPCA: no components yet; call partialFit first");
    const k = this.components.length;
    const d = this.components[0].length;
    const flat = new Float32Array(k * d);
    this.components.forEach((c, j) => {
      flat.set(c, j * d);
    });
    return tf.tensor2d(flat, [k, d]);
  }
}

function columnMean(data: ArrayLike<number>, n: number, d: number): Float64Array {
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let f = 0; f < d; f++) mean[f] += data[i * d + f];
  for (let f = 0; f < d; f++) mean[f] /= n;
  return mean;
}

/** v with its sign chosen so that its largest-magnitude entry is positive (scikit-learn's svd_flip on V; the first such entry on a tie). */
function flipped(v: Float64Array): Float64Array {
  let at = 0;
  for (let f = 1; f < v.length; f++) if (Math.abs(v[f]) > Math.abs(v[at])) at = f;
  return v[at] < 0 ? v.map((x) => -x) : v;
}
