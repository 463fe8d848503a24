// Singular value decomposition in float64: one-sided (Hestenes) Jacobi, which rotates pairs of
// columns until all are orthogonal; the column norms are then the singular values, to high relative
// accuracy even for the small ones (a Gram matrix would square the condition number).
//
// Cost per sweep is n^2 m for n columns of length m, so the work runs on the cheaper side: a tall
// matrix (m > n) is first reduced to its n x n triangle R by Householder QR (A = Q R, the SVD of R
// gives the SVD of A), and a wide one (m < n) is decomposed as its transpose. Incremental PCA
// stacks (k + batch + 1) rows of d features: whichever of the two is smaller sets the cost.

import { columns, dot, fromColumns, matmul, type Matrix, transpose } from "./matrix.js";
import { qr } from "./qr.js";

export interface Svd {
  /** [m, p] left singular vectors as columns (null when not asked for), p = min(m, n) */
  U: Matrix | null;
  /** [p] singular values, largest first */
  S: Float64Array;
  /** [n, p] right singular vectors as columns: A = U diag(S) V^T */
  V: Matrix;
}

export interface SvdOptions {
  /** compute U (default true); incremental PCA needs only S and V */
  u?: boolean;
}

/** Rotations stop when every pair of columns has |cos| below this. */
const TOL = 1e-15;
const MAX_SWEEPS = 80;

/** The thin SVD of a [m, n]: U [m, p], S [p], V [n, p], p = min(m, n), S descending. */
export function svd(a: Matrix, opts: SvdOptions = {}): Svd {
  const wantU = opts.u ?? true;
  if (a.rows < a.cols) {
    // A^T = U' S V'^T, so A = V' S U'^T: the roles of U and V swap
    const t = svd(transpose(a), { u: true });
    return { U: wantU ? t.V : null, S: t.S, V: t.U! };
  }
  const tall = a.rows > a.cols;
  const f = tall ? qr(a) : null;
  const g = columns(f ? f.R : a); // n columns, rotated in place into U_r diag(S)
  const v = jacobi(g);
  const n = a.cols;
  const S = new Float64Array(n);
  for (let j = 0; j < n; j++) S[j] = Math.sqrt(dot(g[j], g[j]));
  // largest first; equal values keep their column order, so the result is deterministic
  const order = Array.from({ length: n }, (_, j) => j).sort((x, y) => S[y] - S[x] || x - y);
  const V = fromColumns(order.map((j) => v[j]));
  const sorted = Float64Array.from(order, (j) => S[j]);
  if (!wantU) return { U: null, S: sorted, V };
  // U_r = G diag(1/S); a zero singular value leaves its column zero (any unit vector would do)
  const ur = fromColumns(
    order.map((j) => {
      const c = g[j];
      const s = S[j];
      return s > 0 ? c.map((x) => x / s) : new Float64Array(c.length);
    }),
  );
  return { U: f ? matmul(f.Q, ur) : ur, S: sorted, V };
}

/**
 * Rotate the columns g (each of length m) until they are pairwise orthogonal; returns the
 * accumulated rotation as columns of V (g_out = g_in V).
 */
function jacobi(g: Float64Array[]): Float64Array[] {
  const n = g.length;
  const m = n ? g[0].length : 0;
  const v = Array.from({ length: n }, (_, j) => {
    const e = new Float64Array(n);
    e[j] = 1;
    return e;
  });
  const norms = new Float64Array(n);
  for (let sweep = 0; sweep < MAX_SWEEPS; sweep++) {
    for (let j = 0; j < n; j++) norms[j] = dot(g[j], g[j]); // fresh each sweep, so no drift builds up
    let rotated = false;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const alpha = norms[p];
        const beta = norms[q];
        if (alpha === 0 || beta === 0) continue;
        const gp = g[p];
        const gq = g[q];
        const gamma = dot(gp, gq, 0, m);
        if (Math.abs(gamma) <= TOL * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        // the rotation that zeroes the (p, q) entry of G^T G (Rutishauser's formulas)
        const zeta = (beta - alpha) / (2 * gamma);
        const t = (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        rotate(gp, gq, c, s);
        rotate(v[p], v[q], c, s);
        norms[p] = alpha - t * gamma;
        norms[q] = beta + t * gamma;
      }
    }
    if (!rotated) break;
  }
  return v;
}

/** [x, y] <- [c x - s y, s x + c y] */
function rotate(x: Float64Array, y: Float64Array, c: number, s: number): void {
  for (let i = 0; i < x.length; i++) {
    const a = x[i];
    const b = y[i];
    x[i] = c * a - s * b;
    y[i] = s * a + c * b;
  }
}
