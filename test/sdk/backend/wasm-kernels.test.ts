// The kernels sdk/backend registers on wasm, each against the cpu backend: BatchMatMul by OpenBLAS
// and by XNNPACK (transposes, batches, broadcasts, ranks), GatherV2 by rows, Slice from a view, Cast and Identity
// without copies, UnsortedSegmentSum (and gather's gradient, which needs it), Einsum, a kernel run
// by way of the cpu backend; and no leaks. Own process: the wasm backend with one thread.

import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { use } from "../../../sdk/backend/index.js";
import { registerWasmKernels } from "../../../sdk/backend/wasm-kernels/index.js";
import { registerGradients } from "../../../sdk/nn/gradients.js";

before(async () => {
  registerGradients();
  await use("wasm", { threads: 1 });
});

/** Runs f on cpu and on wasm with the same inputs (plain arrays), returns both results' data. */
async function both(
  make: () => tf.Tensor[],
  f: (...xs: tf.Tensor[]) => tf.Tensor,
): Promise<{ wasm: Float32Array | Int32Array; cpu: Float32Array | Int32Array; shape: number[] }> {
  const out: Record<string, { data: Float32Array | Int32Array; shape: number[] }> = {};
  for (const name of ["cpu", "wasm"]) {
    await tf.setBackend(name);
    const xs = make();
    const y = f(...xs);
    out[name] = { data: y.dataSync() as Float32Array | Int32Array, shape: y.shape };
    tf.dispose([...xs, y]);
  }
  assert.equal(tf.getBackend(), "wasm");
  assert.deepEqual(out.wasm!.shape, out.cpu!.shape);
  return { wasm: out.wasm!.data, cpu: out.cpu!.data, shape: out.wasm!.shape };
}

function close(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(a.length, b.length, what);
  let scale = 1e-6,
    err = 0;
  for (let i = 0; i < a.length; i++) {
    scale = Math.max(scale, Math.abs(b[i]!));
    err = Math.max(err, Math.abs(a[i]! - b[i]!));
  }
  assert.ok(err / scale <= tol, `${what}: max |wasm - cpu| = ${err} (scale ${scale})`);
}

const rnd = (shape: number[], seed: number) => () => tf.randomNormal(shape, 0, 1, "float32", seed);

test("the kernels are registered: BatchMatMul, Identity, GatherV2, Slice and Cast replaced, UnsortedSegmentSum and Einsum added", () => {
  const r = registerWasmKernels();
  assert.deepEqual(r.replaced, ["BatchMatMul", "Identity", "GatherV2", "Slice", "Cast"]);
  for (const k of ["UnsortedSegmentSum", "Einsum", "Conv2DBackpropFilter"]) assert.ok(tf.getKernel(k, "wasm"), k);
  assert.ok(r.delegated.includes("Conv2DBackpropFilter"));
  assert.ok(!r.delegated.includes("Complex"));
});

for (const blas of [true, false]) {
  test(`BatchMatMul by ${blas ? "OpenBLAS" : "XNNPACK"} matches cpu: every transpose, batch, broadcast and rank`, async () => {
    assert.equal((await use("wasm", { blas })).math.startsWith("OpenBLAS"), blas);
    await batchMatMulCases();
  });
}

async function batchMatMulCases(): Promise<void> {
  const cases: [number[], number[]][] = [
    [
      [5, 7],
      [7, 3],
    ], // 2D
    [
      [1, 64, 32],
      [1, 32, 48],
    ], // batch 1 (the stock XNNPACK path)
    [
      [4, 33, 17],
      [4, 17, 9],
    ], // a batch, odd sizes
    [
      [3, 16, 8],
      [1, 8, 12],
    ], // b broadcast: folded into rows
    [
      [1, 16, 8],
      [3, 8, 12],
    ], // a broadcast
    [
      [2, 3, 10, 6],
      [2, 3, 6, 5],
    ], // rank 4
    [
      [2, 3, 10, 6],
      [6, 5],
    ], // rank 4 x 2D
    [
      [8, 256, 64],
      [8, 64, 256],
    ], // the benchmark's shape
  ];
  for (const [sa, sb] of cases) {
    for (const ta of [false, true]) {
      for (const tb of [false, true]) {
        const shapeA = ta ? [...sa.slice(0, -2), sa.at(-1)!, sa.at(-2)!] : sa;
        const shapeB = tb ? [...sb.slice(0, -2), sb.at(-1)!, sb.at(-2)!] : sb;
        const r = await both(
          () => [rnd(shapeA, 1)(), rnd(shapeB, 2)()],
          (a, b) => tf.matMul(a!, b!, ta, tb),
        );
        close(r.wasm, r.cpu, 1e-5, `[${sa}] x [${sb}] ta=${ta} tb=${tb}`);
      }
    }
  }
}

test("BatchMatMul broadcasts batches as numpy does ([2,1] x [1,3] gives 6; tfjs's cpu kernel does not)", async () => {
  // want: every product a[i, 0] b[0, j] made by cpu from 2D slices
  const r = await both(
    () => [rnd([2, 1, 4, 6], 30)(), rnd([1, 3, 6, 5], 31)()],
    (a, b) =>
      tf.getBackend() === "wasm"
        ? tf.matMul(a!, b!)
        : tf.reshape(
            tf.stack(
              [0, 1].flatMap((i) =>
                [0, 1, 2].map((j) =>
                  tf.matMul(
                    tf.reshape(tf.slice(a!, [i, 0, 0, 0], [1, 1, 4, 6]), [4, 6]),
                    tf.reshape(tf.slice(b!, [0, j, 0, 0], [1, 1, 6, 5]), [6, 5]),
                  ),
                ),
              ),
            ),
            [2, 3, 4, 5],
          ),
  );
  close(r.wasm, r.cpu, 1e-5, "[2,1,4,6] x [1,3,6,5]");
});

test("BatchMatMul keeps the tensor count and frees its temporaries", () => {
  const a = tf.randomNormal([4, 16, 8]),
    b = tf.randomNormal([4, 12, 8]);
  const y0 = tf.matMul(a, b, false, true);
  y0.dispose();
  const tensors = tf.memory().numTensors;
  const ids = tf.engine().backend.numDataIds();
  for (let i = 0; i < 3; i++) tf.matMul(a, b, false, true).dispose();
  tf.matMul(tf.reshape(a, [64, 8]), tf.reshape(b, [48, 8]), false, true).dispose();
  assert.equal(tf.memory().numTensors, tensors + 2); // the two reshapes, not disposed above
  assert.equal(tf.engine().backend.numDataIds(), ids);
  tf.dispose([a, b]);
});

test("Identity shares the buffer: the copy outlives its source, the memory goes with the last one", () => {
  const backend = tf.backend() as unknown as { refCount(id: object): number };
  const x = tf.tensor1d([1, 2, 3]);
  const y = tf.engine().runKernel("Identity", { x }) as tf.Tensor;
  assert.equal(y.dataId, x.dataId, "no second buffer");
  assert.equal(backend.refCount(x.dataId), 2);
  x.dispose();
  assert.deepEqual([...y.dataSync()], [1, 2, 3]);
  assert.equal(backend.refCount(y.dataId), 1);
  y.dispose();
  assert.equal(backend.refCount(y.dataId), 0, "freed with the last tensor");
  // what the engine does with it: saved tensors of a gradient, many steps, nothing left behind
  const w = tf.variable(
    tf.tensor2d([
      [1, 2],
      [3, 4],
    ]),
  );
  const n0 = tf.memory().numTensors;
  for (let i = 0; i < 5; i++) {
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(tf.matMul(w, w))), [w]);
    tf.dispose([value, ...Object.values(grads)]);
  }
  assert.equal(tf.memory().numTensors, n0);
  w.dispose();
});

test("matMul's gradient on wasm matches cpu (transposed products throughout)", async () => {
  const r = await both(
    () => [rnd([3, 20, 12], 5)(), rnd([3, 12, 7], 6)()],
    (a, b) => {
      const g = tf.grads((x: tf.Tensor, w: tf.Tensor) => tf.sum(tf.square(tf.matMul(x, w))))([a!, b!]);
      return tf.concat([tf.reshape(g[0]!, [-1]), tf.reshape(g[1]!, [-1])]);
    },
  );
  close(r.wasm, r.cpu, 1e-5, "d/da, d/db");
});

test("GatherV2 by rows matches cpu; a bad index is an error naming it; other axes take the stock kernel", async () => {
  const idx = () =>
    tf.tensor2d(
      [
        [3, 0, 3],
        [9, 1, 2],
      ],
      [2, 3],
      "int32",
    );
  let r = await both(
    () => [rnd([10, 4, 3], 40)(), idx()],
    (x, i) => tf.gather(x!, i!),
  );
  close(r.wasm, r.cpu, 0, "axis 0");
  assert.deepEqual(r.shape, [2, 3, 4, 3]);
  r = await both(
    () => [rnd([3, 10], 41)(), idx()],
    (x, i) => tf.gather(x!, i!, 1),
  );
  close(r.wasm, r.cpu, 0, "axis 1 (stock)");
  const table = tf.ones([5, 2]);
  const bad = tf.tensor1d([1, 5], "int32");
  const ids = tf.engine().backend.numDataIds();
  assert.throws(() => tf.gather(table, bad), /GatherV2: the index value 5 is not in \[0, 4\]/);
  assert.equal(tf.engine().backend.numDataIds(), ids, "the output of a failed gather is freed");
  tf.dispose([table, bad]);
});

test("Cast to the same dtype shares the buffer; to another dtype it converts", () => {
  const backend = tf.backend() as unknown as { refCount(id: object): number };
  const x = tf.tensor1d([1.5, -2.25]);
  const same = tf.cast(x, "float32");
  assert.equal(same.dataId, x.dataId);
  assert.equal(backend.refCount(x.dataId), 2);
  const ints = tf.cast(x, "int32");
  assert.deepEqual([...ints.dataSync()], [1, -2]);
  x.dispose();
  assert.deepEqual([...same.dataSync()], [1.5, -2.25]);
  tf.dispose([same, ints]);
  assert.equal(backend.refCount(x.dataId), 0);
});

test("UnsortedSegmentSum matches cpu: float32, int32, 2D ids, ids out of range dropped", async () => {
  const ids = [0, 2, 2, -1, 5, 1, 0, 9];
  let r = await both(
    () => [rnd([8, 3, 2], 7)(), tf.tensor1d(ids, "int32")],
    (x, s) => tf.unsortedSegmentSum(x!, s! as tf.Tensor1D, 6),
  );
  close(r.wasm, r.cpu, 1e-6, "float32");
  assert.deepEqual(r.shape, [6, 3, 2]);
  r = await both(
    () => [
      tf.tensor2d(
        [
          [1, 2],
          [3, 4],
          [5, 6],
          [7, 8],
        ],
        [4, 2],
        "int32",
      ),
      tf.tensor1d([1, 1, 0, 3], "int32"),
    ],
    (x, s) => tf.unsortedSegmentSum(x!, s! as tf.Tensor1D, 4),
  );
  assert.deepEqual(Array.from(r.wasm), [5, 6, 4, 6, 0, 0, 7, 8]);
  assert.deepEqual(Array.from(r.wasm), Array.from(r.cpu));
  const s2 = tf.tensor2d(
    [
      [0, 1],
      [1, 1],
    ],
    [2, 2],
    "int32",
  );
  const y = tf.engine().runKernel("UnsortedSegmentSum", { x: tf.ones([2, 2, 3]), segmentIds: s2 }, { numSegments: 2 }) as tf.Tensor;
  assert.deepEqual(y.shape, [2, 3]);
  assert.deepEqual(Array.from(y.dataSync()), [1, 1, 1, 3, 3, 3]);
  tf.dispose([s2, y]);
});

test("gather's stock gradient runs on wasm and matches cpu (repeated ids sum)", async () => {
  const r = await both(
    () => [
      rnd([10, 4], 8)(),
      tf.tensor2d(
        [
          [1, 3, 3],
          [0, 9, 1],
        ],
        [2, 3],
        "int32",
      ),
    ],
    (table, idx) => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, idx!), tf.reshape(tf.range(1, 25), [2, 3, 4]))))(table!),
  );
  close(r.wasm, r.cpu, 1e-6, "d/dtable");
});

test("Einsum matches cpu", async () => {
  const cases: [string, number[][]][] = [
    [
      "ij,jk->ik",
      [
        [4, 5],
        [5, 3],
      ],
    ],
    [
      "bij,bjk->bik",
      [
        [2, 4, 5],
        [2, 5, 3],
      ],
    ],
    ["ij->ji", [[3, 4]]],
    ["ij->", [[3, 4]]],
    ["i,i->", [[6], [6]]],
    ["i,j->ij", [[3], [4]]],
    [
      "bhqd,bhkd->bhqk",
      [
        [2, 2, 5, 4],
        [2, 2, 6, 4],
      ],
    ],
  ];
  for (const [eq, shapes] of cases) {
    const r = await both(
      () => shapes.map((s, i) => rnd(s, 10 + i)()),
      (...xs) => tf.einsum(eq, ...xs),
    );
    close(r.wasm, r.cpu, 1e-5, eq);
  }
  const a = tf.ones([2, 3]),
    b = tf.ones([3, 2]);
  const before = tf.engine().backend.numDataIds();
  tf.einsum("ij->ij", a).dispose();
  tf.einsum("ij,jk->ik", a, b).dispose();
  const a3 = tf.reshape(a, [1, 2, 3]),
    b3 = tf.reshape(b, [1, 3, 2]);
  tf.einsum("bij,bjk->bik", a3, b3).dispose();
  assert.equal(tf.engine().backend.numDataIds(), before);
  tf.dispose([a, b, a3, b3]);
});

test("a kernel wasm lacks runs by way of cpu: Conv2DBackpropFilter", async () => {
  const attrs = { strides: 1, pad: "same", dataFormat: "NHWC", dimRoundingMode: undefined, filterShape: [3, 3, 2, 4] };
  const r = await both(
    () => [rnd([1, 5, 5, 2], 20)(), rnd([1, 5, 5, 4], 21)()],
    (x, dy) => tf.engine().runKernel("Conv2DBackpropFilter", { x: x!, dy: dy! }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor,
  );
  close(r.wasm, r.cpu, 1e-6, "Conv2DBackpropFilter");
});

test("Slice from a view of the heap matches cpu: every rank to 5, contiguous and strided parts, float32, int32 and bool", async () => {
  let seed = 7;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  let checked = 0;
  for (let rank = 1; rank <= 5; rank++) {
    for (let trial = 0; trial < 12; trial++) {
      const shape = Array.from({ length: rank }, () => 1 + Math.floor(rand() * (rank > 3 ? 5 : 20)));
      const begin = shape.map((n) => Math.floor(rand() * n));
      const size = shape.map((n, d) => (rand() < 0.2 ? -1 : Math.floor(rand() * (n - begin[d]! + 1)))); // -1: to the end; 0: empty
      const n = shape.reduce((a, b) => a * b, 1);
      for (const dtype of ["float32", "int32", "bool"] as const) {
        const values =
          dtype === "bool"
            ? Array.from({ length: n }, (_, i) => i % 3 === 0)
            : Array.from({ length: n }, (_, i) => (dtype === "int32" ? i - 50 : i * 0.5 - 3));
        const r = await both(
          () => [tf.tensor(values, shape, dtype)],
          (x) => tf.slice(x, begin, size),
        );
        assert.deepEqual(Array.from(r.wasm), Array.from(r.cpu), `slice [${shape}] at [${begin}] size [${size}] ${dtype}`);
        checked++;
      }
    }
  }
  assert.equal(checked, 5 * 12 * 3);
  // the last position of [B, T, V] logits: B runs of V, no copy of the rest
  const r = await both(
    () => [tf.randomNormal([3, 40, 100], 0, 1, "float32", 1)],
    (x) => tf.slice(x, [0, 39, 0], [3, 1, 100]),
  );
  assert.deepEqual(Array.from(r.wasm), Array.from(r.cpu));
  const before = tf.memory().numTensors;
  const x = tf.ones([4, 5]);
  tf.slice(x, [1, 1], [2, 3]).dispose();
  x.dispose();
  assert.equal(tf.memory().numTensors, before, "no tensors left behind");
});
