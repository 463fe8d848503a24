// UnsortedSegmentSum for wasm (tfjs ships none; gather's gradient needs it): out[s] = sum of the
// rows x[i] whose segmentIds[i] is s; ids outside [0, numSegments) are dropped, as in TensorFlow.
// x [N..., ...inner] with segmentIds [N...] (a prefix of x's shape) -> [numSegments, ...inner].
// One pass over x on the wasm heap: memory-bound, in JavaScript.
import * as tf from "@tensorflow/tfjs-core";
import { alloc, heap } from "./heap.js";

export const unsortedSegmentSumKernel: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
  const { numSegments } = attrs as unknown as { numSegments: number };
  const r = segmentIds.shape.length;
  tf.util.assert(
    tf.util.arraysEqual(x.shape.slice(0, r), segmentIds.shape),
    () => `unsortedSegmentSum: segmentIds [${segmentIds.shape}] must be a prefix of x [${x.shape}]`,
  );
  tf.util.assert(x.dtype !== "string" && x.dtype !== "complex64", () => `unsortedSegmentSum: dtype ${x.dtype} is not supported on wasm`);
  const inner = x.shape.slice(r);
  const rows = tf.util.sizeFromShape(segmentIds.shape);
  const width = tf.util.sizeFromShape(inner);
  const dtype = x.dtype === "bool" ? "int32" : x.dtype;
  const out = alloc(backend, [numSegments, ...inner], dtype); // [S, ...inner]
  const y = heap(backend, out);
  y.fill(0);
  const xs = heap(backend, x);
  const ids = segmentIds.dtype === "int32" ? heap(backend, segmentIds) : Int32Array.from(heap(backend, segmentIds));
  for (let i = 0; i < rows; i++) {
    const s = ids[i]!;
    if (s < 0 || s >= numSegments) continue;
    const src = i * width,
      dst = s * width;
    for (let j = 0; j < width; j++) y[dst + j] += xs[src + j]!;
  }
  return out;
};
