// The leading singular values and right singular vectors of a [m, n] matrix from the eigen-
// decomposition of its Gram matrix on the shorter side (A A^T when m <= n, else A^T A), in float64.
// Only the k leading eigenvectors are formed (eighTop). Cheaper than a Jacobi SVD by an order of
// magnitude at incremental PCA's sizes; the price is that a singular value is resolved only down to
// about sqrt(eps) * S[0] (1.5e-8 relative): the leading directions, which are what is kept, are
// accurate to ~eps * (S[0] / S[j])^2.

import { eighTop } from "./eigh.js";
import { type Matrix, matrix } from "./matrix.js";

export interface TopSvd {
  /** [k] singular values, largest first */
  S: Float64Array;
  /** [k][n] right singular vectors (rows of V^T), unit length */
  Vt: Float64Array[];
}

/** The k leading singular values and right singular vectors of a (k <= min(m, n)). */
export function topSvdByGram(a: Matrix, k: number): TopSvd {
  const { rows: m, cols: n, data: x } = a;
  if (!(Number.isInteger(k) && k >= 1 && k <= Math.min(m, n))) throw new Error(`topSvdByGram: k = ${k}: expected 1 .. min(${m}, ${n})`);
  const S = new Float64Array(k);
  const Vt: Float64Array[] = [];
  if (m <= n) {
    // A A^T = U S^2 U^T; then v_j = A^T u_j / S_j
    const g = matrix(m, m);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j <= i; j++) {
        let s = 0;
        for (let f = 0; f < n; f++) s += x[i * n + f] * x[j * n + f];
        g.data[i * m + j] = s;
        g.data[j * m + i] = s;
      }
    }
    const { values, vectors } = eighTop(g, k);
    for (let j = 0; j < k; j++) {
      const v = new Float64Array(n);
      const u = vectors[j];
      for (let i = 0; i < m; i++) {
        const w = u[i];
        if (w === 0) continue;
        for (let f = 0; f < n; f++) v[f] += w * x[i * n + f];
      }
      // normalise by the vector's own length (= S_j up to rounding), which keeps it unit length
      let norm = 0;
      for (let f = 0; f < n; f++) norm += v[f] * v[f];
      norm = Math.sqrt(norm);
      S[j] = Math.sqrt(Math.max(0, values[j]));
      if (norm > 0) for (let f = 0; f < n; f++) v[f] /= norm;
      Vt.push(v);
    }
    return { S, Vt };
  }
  // A^T A = V S^2 V^T
  const g = matrix(n, n);
  for (let i = 0; i < m; i++) {
    const base = i * n;
    for (let p = 0; p < n; p++) {
      const xp = x[base + p];
      if (xp === 0) continue;
      for (let q = 0; q <= p; q++) g.data[p * n + q] += xp * x[base + q];
    }
  }
  for (let p = 0; p < n; p++) for (let q = 0; q < p; q++) g.data[q * n + p] = g.data[p * n + q];
  const { values, vectors } = eighTop(g, k);
  for (let j = 0; j < k; j++) {
    S[j] = Math.sqrt(Math.max(0, values[j]));
    Vt.push(vectors[j]);
  }
  return { S, Vt };
}
