// Eigenvectors of a symmetric tridiagonal matrix for eigenvalues already known, by inverse iteration
// (LAPACK's dstein): solve (T - lambda I) x = b a few times with Gaussian elimination and partial
// pivoting, O(n) per solve. Eigenvalues in one cluster get shifts a few ulps apart and their vectors
// are orthogonalised against each other, so repeated eigenvalues still give an orthonormal basis.

const EPS = 2 ** -52;
const ITERATIONS = 3;

/** Gaussian elimination with partial pivoting of T - shift I, T = (diag, off) with off[i] coupling i-1 and i. */
function factor(diag: Float64Array, off: Float64Array, shift: number, tiny: number) {
  const n = diag.length;
  const u0 = new Float64Array(n); // pivots
  const u1 = new Float64Array(n); // first superdiagonal
  const u2 = new Float64Array(n); // second superdiagonal (fill-in from row swaps)
  const mult = new Float64Array(n);
  const swapped = new Uint8Array(n);
  let cur0 = diag[0] - shift;
  let cur1 = n > 1 ? off[1] : 0;
  for (let i = 0; i < n - 1; i++) {
    const lower = off[i + 1]; // row i + 1, column i
    const nextDiag = diag[i + 1] - shift;
    const nextUpper = i + 2 < n ? off[i + 2] : 0;
    if (Math.abs(cur0) >= Math.abs(lower)) {
      const p = cur0 === 0 ? tiny : cur0;
      const m = lower / p;
      u0[i] = p;
      u1[i] = cur1;
      u2[i] = 0;
      mult[i] = m;
      cur0 = nextDiag - m * cur1;
      cur1 = nextUpper;
    } else {
      const m = cur0 / lower;
      u0[i] = lower;
      u1[i] = nextDiag;
      u2[i] = nextUpper;
      mult[i] = m;
      swapped[i] = 1;
      cur0 = cur1 - m * nextDiag;
      cur1 = -m * nextUpper;
    }
  }
  u0[n - 1] = cur0 === 0 ? tiny : cur0;
  return { u0, u1, u2, mult, swapped };
}

/** Solve with the factors, in place on b. */
function solve(f: ReturnType<typeof factor>, b: Float64Array): void {
  const n = b.length;
  for (let i = 0; i < n - 1; i++) {
    if (f.swapped[i]) [b[i], b[i + 1]] = [b[i + 1], b[i]];
    b[i + 1] -= f.mult[i] * b[i];
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i];
    if (i + 1 < n) s -= f.u1[i] * b[i + 1];
    if (i + 2 < n) s -= f.u2[i] * b[i + 2];
    b[i] = s / f.u0[i];
  }
}

function normalise(x: Float64Array): void {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  s = Math.sqrt(s);
  if (s > 0) for (let i = 0; i < x.length; i++) x[i] /= s;
}

/**
 * Unit eigenvectors of the tridiagonal T = (diag, off) for `values` (descending, each an eigenvalue
 * of T to working precision).
 */
export function inverseIteration(diag: Float64Array, off: Float64Array, values: Float64Array): Float64Array[] {
  const n = diag.length;
  let norm = 0;
  for (let i = 0; i < n; i++) norm = Math.max(norm, Math.abs(diag[i]) + Math.abs(off[i]) + (i + 1 < n ? Math.abs(off[i + 1]) : 0));
  const tiny = Math.max(EPS * norm, Number.MIN_VALUE);
  const cluster = 1e-3 * norm; // vectors of eigenvalues this close are orthogonalised against each other
  const out: Float64Array[] = [];
  let lastShift = Number.POSITIVE_INFINITY;
  for (let j = 0; j < values.length; j++) {
    // equal or nearly equal eigenvalues: separate the shifts (downwards, values descend) so each solve differs
    let shift = values[j];
    if (lastShift - shift < 10 * EPS * norm) shift = lastShift - 10 * EPS * norm;
    lastShift = shift;
    const f = factor(diag, off, shift, tiny);
    // a fixed, generic start (deterministic, never orthogonal to an eigenvector in practice)
    const x = Float64Array.from({ length: n }, (_, i) => 1 + ((i * 7919 + j * 104729) % 997) / 997);
    const mates = out.filter((_, i) => Math.abs(values[i] - values[j]) <= cluster);
    for (let it = 0; it < ITERATIONS; it++) {
      normalise(x);
      solve(f, x);
      for (const v of mates) {
        let dot = 0;
        for (let i = 0; i < n; i++) dot += v[i] * x[i];
        for (let i = 0; i < n; i++) x[i] -= dot * v[i];
      }
    }
    normalise(x);
    out.push(x);
  }
  return out;
}
