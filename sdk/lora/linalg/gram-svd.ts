// The leading singular values and right singular vectors of a [m, n] matrix from the eigen-
// decomposition of its Gram matrix on the shorter side (A A^T when m <= n, else A^T A), in float64.
// Only the k leading eigenvectors are formed (eighTop). Cheaper than a Jacobi SVD by an order of
// magnitude at incremental PCA's sizes; the price is that a singular value is resolved only down to
// about sqrt(eps) * S[0] (1.5e-8 relative): the leading directions, which are what is kept, are
// accurate to ~eps * (S[0] / S[j])^2. With the native path on, the Gram matrix, the eigenpairs and
// the back-projection run in OpenBLAS's float64 BLAS and LAPACK (lapack.ts); otherwise in JavaScript.

import { eighTop } from "./eigh.js";
import { lapack, type Lapack } from "./lapack.js";
import { type Matrix, matrix } from "./matrix.js";

export interface TopSvd {
  /** [k] singular values, largest first */
  S: Float64Array;
  /** [k][n] right singular vectors (rows of V^T), unit length */
  Vt: Float64Array[];
}

/** The k leading singular values and right singular vectors of a (k <= min(m, n)); `native`
 *  false keeps it in JavaScript even when LAPACK is there (tests compare the two). */
export function topSvdByGram(a: Matrix, k: number, native = true): TopSvd {
  const { rows: m, cols: n } = a;
  if (!(Number.isInteger(k) && k >= 1 && k <= Math.min(m, n))) throw new Error(`topSvdByGram: k = ${k}: expected 1 .. min(${m}, ${n})`);
  const lib = native ? lapack() : null;
  return lib ? nativeTopSvd(lib, a, k) : jsTopSvd(a, k);
}

function nativeTopSvd(lib: Lapack, a: Matrix, k: number): TopSvd {
  const { rows: m, cols: n, data: x } = a;
  const side = Math.min(m, n);
  const g = new Float64Array(side * side);
  lib.gram(x, side, Math.max(m, n), m > n, g); // [side, side]: A A^T or A^T A
  const { values, vectors } = lib.eighTop(g, side, k); // vectors [k, side]
  const S = values.map((v) => Math.sqrt(Math.max(0, v)));
  let V = vectors;
  if (m <= n) {
    V = new Float64Array(k * n);
    lib.matmul(vectors, x, k, m, n, V); // [k, n] = U^T A: row j is S_j v_j
  }
  const Vt = Array.from({ length: k }, (_, j) => unit(V.slice(j * n, (j + 1) * n)));
  return { S, Vt };
}

/** v scaled to unit length (by its own length, which is S_j up to rounding after U^T A). */
function unit(v: Float64Array): Float64Array {
  let norm = 0;
  for (let f = 0; f < v.length; f++) norm += v[f] * v[f];
  norm = Math.sqrt(norm);
  if (norm > 0) for (let f = 0; f < v.length; f++) v[f] /= norm;
  return v;
}

function jsTopSvd(a: Matrix, k: number): TopSvd {
  const { rows: m, cols: n, data: x } = a;
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
      S[j] = Math.sqrt(Math.max(0, values[j]));
      Vt.push(unit(v));
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
