// Running per-feature mean and variance over batches of rows, in float64 (Chan, Golub and LeVeque's
// pairwise update, as scikit-learn's incremental PCA uses): the batch's own centred sums of squares
// plus a term for the distance between the old and the batch mean, so no sum of raw squares ever
// cancels.

export interface MeanVar {
  mean: Float64Array;
  /** population variance (divided by n) */
  variance: Float64Array;
  n: number;
}

/** The statistics of `last` and the n rows of x (row-major, d features) together. */
export function updateMeanVar(last: MeanVar | null, x: ArrayLike<number>, n: number, d: number): MeanVar {
  if (n === 0) {
    if (!last) throw new Error("updateMeanVar: no rows and no earlier statistics");
    return last;
  }
  return accumulate(last, x, n, d).stats;
}

/** updateMeanVar for n >= 1 rows, with the batch's own mean, which incremental PCA centres the batch on. */
export function accumulate(last: MeanVar | null, x: ArrayLike<number>, n: number, d: number): { stats: MeanVar; batchMean: Float64Array } {
  const sum = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const base = i * d;
    for (let j = 0; j < d; j++) sum[j] += x[base + j];
  }
  const batchMean = sum.map((x) => x / n);
  // the batch's centred sum of squares, with the rounding of its mean corrected (two-pass formula)
  const ss = new Float64Array(d);
  const drift = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const base = i * d;
    for (let j = 0; j < d; j++) {
      const t = x[base + j] - batchMean[j];
      ss[j] += t * t;
      drift[j] += t;
    }
  }
  for (let j = 0; j < d; j++) ss[j] -= (drift[j] * drift[j]) / n;
  const total = (last?.n ?? 0) + n;
  const mean = new Float64Array(d);
  const variance = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    const lastSum = last ? last.mean[j] * last.n : 0;
    mean[j] = (lastSum + sum[j]) / total;
    if (!last) {
      variance[j] = ss[j] / total;
      continue;
    }
    // n_last * n / total * (mean_last - mean_batch)^2, written without dividing by n_last
    const gap = (n * lastSum) / last.n - sum[j];
    variance[j] = (last.variance[j] * last.n + ss[j] + (last.n / n / total) * gap * gap) / total;
  }
  return { stats: { mean, variance, n: total }, batchMean };
}
