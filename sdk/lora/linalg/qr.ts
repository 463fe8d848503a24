// Householder QR in float64 with LAPACK's conventions (dgeqrf + dorgqr, what numpy.linalg.qr and
// torch.linalg.qr call): reflector j maps column j onto beta e_j with beta = -sign(alpha) * norm,
// so R's diagonal takes the sign opposite to the column's leading entry, and a column already zero
// below the diagonal is left alone (tau = 0). OLoRA copies Q and R into its adapter, so their signs
// are part of the result, not a detail.

import { columns, dot, fromColumns, type Matrix } from "./matrix.js";

export interface Qr {
  /** [m, p] with orthonormal columns, p = min(m, n) */
  Q: Matrix;
  /** [p, n] upper triangular (trapezoidal when n > m) */
  R: Matrix;
}

/** The reduced QR decomposition a = Q R. */
export function qr(a: Matrix): Qr {
  const m = a.rows;
  const n = a.cols;
  const p = Math.min(m, n);
  const w = columns(a); // n columns of length m; reflectors are stored below the diagonal
  const tau = new Float64Array(p);
  for (let j = 0; j < p; j++) {
    const x = w[j];
    const alpha = x[j];
    let xnorm = 0;
    for (let i = j + 1; i < m; i++) xnorm = Math.hypot(xnorm, x[i]);
    if (xnorm === 0) continue; // H = I: nothing to annihilate (tau stays 0)
    const norm = Math.hypot(alpha, xnorm);
    const beta = alpha >= 0 ? -norm : norm;
    tau[j] = (beta - alpha) / beta;
    const scale = 1 / (alpha - beta);
    for (let i = j + 1; i < m; i++) x[i] *= scale; // v = [1, x[j+1:] / (alpha - beta)]
    x[j] = beta;
    for (let k = j + 1; k < n; k++) reflect(w[k], x, tau[j], j, m);
  }
  const R = fromColumns(
    w.map((c) => {
      const r = new Float64Array(p);
      for (let i = 0; i < Math.min(p, c.length); i++) r[i] = c[i];
      return r;
    }),
    p,
  );
  for (let j = 0; j < n; j++) for (let i = j + 1; i < p; i++) R.data[i * n + j] = 0;
  // Q = H_0 H_1 ... H_{p-1} applied to the first p columns of the identity, last reflector first
  const q = Array.from({ length: p }, (_, c) => {
    const e = new Float64Array(m);
    e[c] = 1;
    return e;
  });
  for (let j = p - 1; j >= 0; j--) {
    if (tau[j] === 0) continue;
    for (let c = 0; c < p; c++) reflect(q[c], w[j], tau[j], j, m);
  }
  return { Q: fromColumns(q, m), R };
}

/** y <- (I - tau v v^T) y on entries j..m-1, where v = [1, vs[j+1..m-1]]. */
function reflect(y: Float64Array, vs: Float64Array, tau: number, j: number, m: number): void {
  const s = tau * (y[j] + dot(y, vs, j + 1, m));
  if (s === 0) return;
  y[j] -= s;
  for (let i = j + 1; i < m; i++) y[i] -= s * vs[i];
}
