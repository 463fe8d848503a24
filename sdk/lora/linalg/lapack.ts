// Float64 BLAS and LAPACK from the OpenBLAS that runs the wasm backend's products (it ships
// LAPACK): the Gram matrix (dsyrk), products (dgemm) and the leading eigenpairs of a symmetric
// matrix. Used by the decompositions when the native path is on; STILLROOM_BLAS=off or
// use("wasm", { blas: false }) keeps them in JavaScript.
//
// The eigenpairs: tridiagonalise (dsytrd), the top k of the tridiagonal, then back-transform only
// those k vectors (dormtr). The tridiagonal's top k: all its eigenvalues by dsterf (O(n^2)) and the
// k vectors by inverse iteration (dstein): at incremental PCA's sizes (k = 16 of about 90) 190 us
// against 320 for MRRR (dstemr), which finds a subset's eigenvalues by bisection. dsyevr asked for
// a subset does the same reduction, then bisection and inverse iteration, and costs twice as much.
// dstemr, then dsyevr, stay as fallbacks for a tridiagonal where the first reports a failure.

import { activeBlas } from "../../backend/blas/index.js";

const ROW_MAJOR = 101;
const NO_TRANS = 111;
const TRANS = 112;
const LOWER = 122;

export interface Lapack {
  /** c [n, n] (row-major; its lower triangle) = a a^T for a [n, kk], or a^T a for a [kk, n] when `t` */
  gram(a: Float64Array, n: number, kk: number, t: boolean, c: Float64Array): void;
  /** c [m, n] = a [m, kk] b [kk, n], all row-major */
  matmul(a: Float64Array, b: Float64Array, m: number, kk: number, n: number, c: Float64Array): void;
  /** The k largest eigenvalues of the symmetric s [n, n] (lower triangle read; s is overwritten),
   *  largest first, and their unit eigenvectors as rows of a [k, n] array. */
  eighTop(s: Float64Array, n: number, k: number): { values: Float64Array; vectors: Float64Array };
}

type Fn = (...args: unknown[]) => unknown;
let cache: { from: object; lapack: Lapack | null } | null = null;

/** The float64 routines of the active BLAS, or null (no native path, or a BLAS without LAPACK). */
export function lapack(): Lapack | null {
  const blas = activeBlas();
  if (!blas) return null;
  if (cache?.from !== blas) cache = { from: blas, lapack: bind(blas.symbol) };
  return cache.lapack;
}

function bind(symbol: (decl: string) => Fn | null): Lapack | null {
  const dsyrk = symbol(
    "void cblas_dsyrk(int order, int uplo, int trans, int N, int K, double alpha, const double *A, int lda, double beta, double *C, int ldc)",
  );
  const dgemm = symbol(
    "void cblas_dgemm(int order, int transA, int transB, int M, int N, int K, double alpha, const double *A, int lda, const double *B, int ldb, double beta, double *C, int ldc)",
  );
  // Fortran LAPACK: every argument by reference; gfortran appends the lengths of the three
  // character arguments (a callee built without them ignores the extra registers)
  const dsyevr = symbol(
    "void dsyevr_(const char *jobz, const char *range, const char *uplo, const int *n, double *a, const int *lda, const double *vl, const double *vu, const int *il, const int *iu, const double *abstol, int *m, double *w, double *z, const int *ldz, int *isuppz, double *work, const int *lwork, int *iwork, const int *liwork, int *info, size_t ljobz, size_t lrange, size_t luplo)",
  );
  const dsytrd = symbol(
    "void dsytrd_(const char *uplo, const int *n, double *a, const int *lda, double *d, double *e, double *tau, double *work, const int *lwork, int *info, size_t luplo)",
  );
  const dstemr = symbol(
    "void dstemr_(const char *jobz, const char *range, const int *n, double *d, double *e, const double *vl, const double *vu, const int *il, const int *iu, int *m, double *w, double *z, const int *ldz, const int *nzc, int *isuppz, int *tryrac, double *work, const int *lwork, int *iwork, const int *liwork, int *info, size_t ljobz, size_t lrange)",
  );
  const dsterf = symbol("void dsterf_(const int *n, double *d, double *e, int *info)");
  const dstein = symbol(
    "void dstein_(const int *n, const double *d, const double *e, const int *m, const double *w, const int *iblock, const int *isplit, double *z, const int *ldz, double *work, int *iwork, int *ifail, int *info)",
  );
  const dormtr = symbol(
    "void dormtr_(const char *side, const char *uplo, const char *trans, const int *m, const int *n, const double *a, const int *lda, const double *tau, double *c, const int *ldc, double *work, const int *lwork, int *info, size_t lside, size_t luplo, size_t ltrans)",
  );
  if (!dsyrk || !dgemm || !dsyevr) return null;
  const one = (x: number) => Int32Array.of(x);
  const zero = Float64Array.of(0);

  /** the top k eigenvalues, ascending, into w [n] (its first k) and their vectors into z [k columns of n], by dsyevr (s overwritten) */
  const bySyevr = (s: Float64Array, n: number, k: number, w: Float64Array, z: Float64Array): number => {
    const found = one(0);
    const info = one(0);
    const lwork = 26 * n;
    const liwork = 10 * n;
    dsyevr(
      "V",
      "I",
      "U",
      one(n),
      s,
      one(n),
      zero,
      zero,
      one(n - k + 1),
      one(n),
      zero,
      found,
      w,
      z,
      one(n),
      new Int32Array(2 * k),
      new Float64Array(lwork),
      one(lwork),
      new Int32Array(liwork),
      one(liwork),
      info,
      1,
      1,
      1,
    );
    return info[0] !== 0 ? info[0] : found[0] === k ? 0 : -1;
  };

  /** the top k of the tridiagonal (d, e) by dsterf (all eigenvalues, root-free QL/QR: O(n^2)) then
   *  dstein (inverse iteration for the k vectors, reorthogonalised within clusters); nonzero when
   *  it gave up. d and e are not changed. */
  const bySterfStein = (d: Float64Array, e: Float64Array, n: number, k: number, w: Float64Array, z: Float64Array): number => {
    if (!dsterf || !dstein) return -1;
    const all = d.slice();
    const info = one(0);
    dsterf(one(n), all, e.slice(), info);
    if (info[0] !== 0) return info[0];
    all.sort(); // ascending (dsterf sorts too; this makes it certain)
    w.set(all.subarray(n - k));
    // one block: dstein's clusters are found by the values' distance, wherever the matrix splits
    const isplit = new Int32Array(n);
    isplit[0] = n;
    const ifail = new Int32Array(k);
    dstein(one(n), d, e, one(k), w, new Int32Array(n).fill(1), isplit, z, one(n), new Float64Array(5 * n), new Int32Array(n), ifail, info);
    return info[0];
  };

  /** the same by dstemr (MRRR; its eigenvalues of a subset by bisection); nonzero when it gave up */
  const byMrrr = (d: Float64Array, e: Float64Array, n: number, k: number, w: Float64Array, z: Float64Array): number => {
    if (!dstemr) return -1;
    const found = one(0);
    const info = one(0);
    // tryrac 0: absolute accuracy, as dsyevr's; high relative accuracy for the tiny eigenvalues is
    // not needed for the top k and doubles dstemr's time
    dstemr(
      "V",
      "I",
      one(n),
      d.slice(),
      e.slice(), // n - 1 off-diagonals; dstemr uses the last entry as workspace
      zero,
      zero,
      one(n - k + 1),
      one(n),
      found,
      w,
      z,
      one(n),
      one(k),
      new Int32Array(2 * k),
      one(0),
      new Float64Array(18 * n),
      one(18 * n),
      new Int32Array(10 * n),
      one(10 * n),
      info,
      1,
      1,
    );
    return info[0] !== 0 ? info[0] : found[0] === k ? 0 : -1;
  };

  /** the top k eigenpairs by dsytrd, the tridiagonal's top k (bySterfStein, else byMrrr), and dormtr
   *  for those k vectors; nonzero when it gave up (s is then restored) */
  const byTridiagonal = (s: Float64Array, n: number, k: number, w: Float64Array, z: Float64Array): number => {
    if (!dsytrd || !dormtr) return -1;
    const copy = s.slice();
    const d = new Float64Array(n);
    const e = new Float64Array(n);
    const tau = new Float64Array(Math.max(1, n - 1));
    const info = one(0);
    const lwork = 64 * n;
    dsytrd("U", one(n), s, one(n), d, e, tau, new Float64Array(lwork), one(lwork), info, 1);
    if (info[0] !== 0 || (bySterfStein(d, e, n, k, w, z) !== 0 && byMrrr(d, e, n, k, w, z) !== 0)) {
      s.set(copy);
      return info[0] || -1;
    }
    // z holds eigenvectors of the tridiagonal; Q z turns them into the matrix's
    dormtr("L", "U", "N", one(n), one(k), s, one(n), tau, z, one(n), new Float64Array(64 * k), one(64 * k), info, 1, 1, 1);
    return info[0];
  };
  return {
    gram(a, n, kk, t, c) {
      // row-major [n, kk] a: a a^T; row-major [kk, n] a: a^T a (ld is the stored row length)
      dsyrk(ROW_MAJOR, LOWER, t ? TRANS : NO_TRANS, n, kk, 1, a, t ? n : kk, 0, c, n);
    },
    matmul(a, b, m, kk, n, c) {
      dgemm(ROW_MAJOR, NO_TRANS, NO_TRANS, m, n, kk, 1, a, kk, b, n, 0, c, n);
    },
    eighTop(s, n, k) {
      // column-major LAPACK sees the row-major lower triangle as its upper one ("U")
      const w = new Float64Array(n); // the first k are the values; LAPACK may use all n
      const z = new Float64Array(n * k); // [k columns of n]: eigenvector j is z[j n .. (j + 1) n)
      if (byTridiagonal(s, n, k, w, z) !== 0) {
        const info = bySyevr(s, n, k, w, z);
        if (info !== 0) throw new Error(`dsyevr: info ${info} for the top ${k} eigenpairs (n = ${n})`);
      }
      // ascending from LAPACK: reverse into largest first
      const values = new Float64Array(k);
      const vectors = new Float64Array(k * n);
      for (let j = 0; j < k; j++) {
        values[j] = w[k - 1 - j];
        vectors.set(z.subarray((k - 1 - j) * n, (k - j) * n), j * n);
      }
      return { values, vectors };
    },
  };
}
