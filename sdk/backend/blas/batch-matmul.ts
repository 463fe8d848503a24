// BatchMatMul for wasm by OpenBLAS's sgemm, on the wasm heap in place: the operands are passed as
// pointers (typed-array views of the heap), transposes as flags, and the output is written where
// tfjs will read it, so nothing is copied or repacked. A batch that meets a single matrix is one
// product of Ba*M rows; a true batch is one sgemm per matrix (numpy broadcasting of the batch dims).
import * as tf from "@tensorflow/tfjs-core";
import { batchIndex, matMulSizes } from "../wasm-kernels/batch-matmul.js";
import { alloc, heap } from "../wasm-kernels/heap.js";
import { CBLAS_NO_TRANS, CBLAS_ROW_MAJOR, CBLAS_TRANS, type Blas } from "./openblas.js";

type Attrs = { transposeA: boolean; transposeB: boolean };

/** The kernel; `fallback` runs what BLAS does not take (other dtypes, empty products). */
export function blasBatchMatMulKernel(blas: () => Blas | null, fallback: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const lib = blas();
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const { transposeA, transposeB } = args.attrs as unknown as Attrs;
    if (!lib || a.dtype !== "float32" || b.dtype !== "float32") return fallback(args);
    const { outerA, outerB, outer, Bb, M, K, N } = matMulSizes(a, b, transposeA, transposeB);
    if (M * N * K === 0) return fallback(args);
    const B = tf.util.sizeFromShape(outer);
    const out = alloc(args.backend, [...outer, M, N], "float32"); // [..., M, N]
    // views after the allocation: a heap that grows detaches older ones
    const A = heap(args.backend, a) as Float32Array,
      Bm = heap(args.backend, b) as Float32Array,
      C = heap(args.backend, out) as Float32Array;
    const ta = transposeA ? CBLAS_TRANS : CBLAS_NO_TRANS,
      tb = transposeB ? CBLAS_TRANS : CBLAS_NO_TRANS;
    const lda = transposeA ? M : K,
      ldb = transposeB ? K : N;
    if (Bb === 1 && !transposeA) {
      // every matrix of a against the one b: rows stacked, one call
      lib.sgemm(CBLAS_ROW_MAJOR, ta, tb, B * M, N, K, 1, A, lda, Bm, ldb, 0, C, N);
      return out;
    }
    const ia = batchIndex(outer, outerA),
      ib = batchIndex(outer, outerB);
    for (let i = 0; i < B; i++) {
      const ai = A.subarray(ia(i) * M * K),
        bi = Bm.subarray(ib(i) * K * N),
        ci = C.subarray(i * M * N);
      lib.sgemm(CBLAS_ROW_MAJOR, ta, tb, M, N, K, 1, ai, lda, bi, ldb, 0, ci, N);
    }
    return out;
  };
}
