// BatchMatMul for wasm that stays on XNNPACK. The stock kernel (batch_mat_mul_impl.cc) sends a
// product to XNNPACK's fully-connected operator (SIMD, threaded) only when both batches are 1 and
// neither operand is transposed; everything else -- a batch of attention scores, x W^T in every
// linear layer, both matmuls of every backward pass -- falls to a scalar triple loop (~1-4
// GFLOP/s). Here a transposed operand is transposed once (a copy: memory-bound, cheap beside the
// product), a batch broadcast against a single matrix is folded into the rows ([Ba*M, K] x [K, N]),
// and a true batch runs as one XNNPACK product per matrix, written into one output; batches
// broadcast as in numpy ([2,1] x [1,3] gives 6), which the stock kernel gets wrong.
import * as tf from "@tensorflow/tfjs-core";
import { alloc, free, heap, run, view } from "./heap.js";

type Attrs = { transposeA: boolean; transposeB: boolean };

export function batchMatMulKernel(stock: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const { transposeA, transposeB } = args.attrs as unknown as Attrs;
    const backend = args.backend;
    if (a.dtype !== "float32" || b.dtype !== "float32") return stock(args);
    const { outerA, outerB, outer, Ba, Bb, M, K, N } = matMulSizes(a, b, transposeA, transposeB);
    const outShape = [...outer, M, N];
    if (M * N * K === 0) return stock(args);

    const temps: tf.TensorInfo[] = [];
    const upright = (t: tf.TensorInfo, B: number, rows: number, cols: number, transposed: boolean) => {
      if (!transposed) return view(t, [B, rows, cols]); // [B, rows, cols]
      const u = run("Transpose", { x: view(t, [B, cols, rows]) }, backend, { perm: [0, 2, 1] }); // [B, rows, cols]
      temps.push(u);
      return u;
    };
    const a3 = upright(a, Ba, M, K, transposeA); // [Ba, M, K]
    const b3 = upright(b, Bb, K, N, transposeB); // [Bb, K, N]
    const plain = { transposeA: false, transposeB: false };
    try {
      if (Bb === 1) {
        // every matrix of a against the one b: one product of Ba*M rows
        const y = stock({ inputs: { a: view(a3, [1, Ba * M, K]), b: b3 }, backend, attrs: plain }) as tf.TensorInfo; // [1, Ba*M, N]
        return view(y, outShape);
      }
      const B = tf.util.sizeFromShape(outer);
      const [ia, ib] = [batchIndex(outer, outerA), batchIndex(outer, outerB)];
      const out = alloc(backend, [B, M, N], "float32"); // [B, M, N]
      for (let i = 0; i < B; i++) {
        const ai = Ba === 1 ? a3 : matrix(backend, a3, ia(i), M, K); // [1, M, K]
        const bi = matrix(backend, b3, ib(i), K, N); // [1, K, N]
        const yi = stock({ inputs: { a: view(ai, [1, M, K]), b: bi }, backend, attrs: plain }) as tf.TensorInfo; // [1, M, N]
        heap(backend, out).set(heap(backend, yi), i * M * N);
        free(backend, yi, bi);
        if (ai !== a3) free(backend, ai);
      }
      return view(out, outShape);
    } finally {
      free(backend, ...temps);
    }
  };
}

/** The sizes of a (batched) product a x b: outer dims, batch counts, M x K times K x N; refuses unequal K. */
export function matMulSizes(a: tf.TensorInfo, b: tf.TensorInfo, transposeA: boolean, transposeB: boolean) {
  const ra = a.shape.length,
    rb = b.shape.length;
  const outerA = a.shape.slice(0, -2),
    outerB = b.shape.slice(0, -2);
  const outer = tf.backend_util.assertAndGetBroadcastShape(outerA, outerB);
  const M = transposeA ? a.shape[ra - 1]! : a.shape[ra - 2]!;
  const K = transposeA ? a.shape[ra - 2]! : a.shape[ra - 1]!;
  const Kb = transposeB ? b.shape[rb - 1]! : b.shape[rb - 2]!;
  const N = transposeB ? b.shape[rb - 2]! : b.shape[rb - 1]!;
  tf.util.assert(
    K === Kb,
    () => `matMul: inner sizes ${K} and ${Kb} of [${a.shape}] and [${b.shape}] (transposeA=${transposeA}, transposeB=${transposeB}) differ`,
  );
  return { outerA, outerB, outer, Ba: tf.util.sizeFromShape(outerA), Bb: tf.util.sizeFromShape(outerB), M, K, N };
}

/** Output batch i -> the batch of an operand with outer dims `dims` (numpy broadcasting). */
export function batchIndex(outer: number[], dims: number[]): (i: number) => number {
  const pad = [...Array<number>(outer.length - dims.length).fill(1), ...dims];
  if (tf.util.arraysEqual(pad, outer)) return (i) => i;
  if (tf.util.sizeFromShape(dims) === 1) return () => 0;
  return (i) => {
    let j = 0,
      stride = 1;
    for (let d = outer.length - 1; d >= 0; d--) {
      const k = i % outer[d]!;
      i = Math.floor(i / outer[d]!);
      if (pad[d] !== 1) j += k * stride;
      stride *= pad[d]!;
    }
    return j;
  };
}

/** A copy of matrix i of t [B, rows, cols]: [1, rows, cols]. */
function matrix(backend: object, t: tf.TensorInfo, i: number, rows: number, cols: number): tf.TensorInfo {
  const m = alloc(backend, [1, rows, cols], "float32");
  const size = rows * cols;
  heap(backend, m).set(heap(backend, t).subarray(i * size, (i + 1) * size));
  return m;
}
