// Float64 BLAS and LAPACK from the OpenBLAS that runs the wasm backend's products (it ships
// LAPACK): the Gram matrix (dsyrk), products (dgemm) and the leading eigenpairs of a symmetric
// matrix (dsyevr, the MRRR solver, asked for the top k only). Used by the decompositions when the
// native path is on; STILLROOM_BLAS=off or use("wasm", { blas: false }) keeps them in JavaScript.

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
  if (!dsyrk || !dgemm || !dsyevr) return null;
  const one = (x: number) => Int32Array.of(x);
  const zero = Float64Array.of(0);
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
      const w = new Float64Array(n);
      const z = new Float64Array(n * k); // [k columns of n]: eigenvector j is z[j n .. (j + 1) n)
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
      if (info[0] !== 0 || found[0] !== k) throw new Error(`dsyevr: info ${info[0]}, ${found[0]} of ${k} eigenpairs (n = ${n})`);
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
