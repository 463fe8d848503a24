// Slice for wasm without reading the whole input. The stock kernel copies every element of x out
// of the heap (readSync) before it takes its part, so taking the last position of [B, T, V] logits,
// or one element to wait on a result, costs a copy of the whole tensor (6 ms for 2 MB here). This
// one reads x through a view of the heap and copies only the slice, one contiguous run of the last
// axis at a time.
import * as tf from "@tensorflow/tfjs-core";
import { alloc, heap } from "./heap.js";

export function sliceKernel(stock: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    if (x.dtype === "string") return stock(args);
    const { begin, size } = args.attrs as { begin: number | number[]; size: number | number[] };
    const [b, s] = tf.slice_util.parseSliceParams(x as tf.Tensor, begin, size);
    const out = alloc(args.backend, s, x.dtype);
    const total = tf.util.sizeFromShape(s);
    if (total === 0) return out;
    // views after the allocation: a heap that grows detaches older ones
    const src = heap(args.backend, x),
      dst = heap(args.backend, out);
    const strides = tf.util.computeStrides(x.shape);
    if (tf.slice_util.isSliceContinous(x.shape, b, s)) {
      const from = tf.slice_util.computeFlatOffset(b, strides);
      dst.set(src.subarray(from, from + total));
      return out;
    }
    copyRuns(src, dst, x.shape, strides, b, s);
    return out;
  };
}

/** Copies the slice run by run along the last axis, walking the leading axes like an odometer. */
function copyRuns(
  src: Float32Array | Int32Array | Uint8Array,
  dst: Float32Array | Int32Array | Uint8Array,
  shape: number[],
  strides: number[],
  begin: number[],
  size: number[],
): void {
  const rank = shape.length;
  const run = size[rank - 1]!;
  const index = new Array<number>(rank - 1).fill(0); // position within the slice's leading axes
  const rows = tf.util.sizeFromShape(size.slice(0, -1));
  for (let r = 0, to = 0; r < rows; r++, to += run) {
    let from = begin[rank - 1]!;
    for (let d = 0; d < rank - 1; d++) from += (begin[d]! + index[d]!) * strides[d]!;
    if (run >= 16) dst.set(src.subarray(from, from + run), to);
    else for (let i = 0; i < run; i++) dst[to + i] = src[from + i]!;
    for (let d = rank - 2; d >= 0; d--) {
      if (++index[d]! < size[d]!) break;
      index[d] = 0;
    }
  }
}
