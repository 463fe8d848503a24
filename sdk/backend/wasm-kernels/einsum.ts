// Einsum for wasm (tfjs ships none), as the cpu backend composes it: per operand a transpose and
// a reshape to the common index order, products with broadcasting, sums over contracted indices,
// all with wasm's own kernels (Transpose, Reshape, Multiply, Sum). Dense: it materializes each
// partial product, so it suits small contractions; big ones are matMul's job.
import * as tf from "@tensorflow/tfjs-core";
import { free, run } from "./heap.js";

export const einsumKernel: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { equation } = attrs as unknown as { equation: string };
  const tensors = inputs as unknown as tf.TensorInfo[];
  const bu = tf.backend_util;
  const { allDims, summedDims, idDims } = bu.decodeEinsumEquation(equation, tensors.length);
  bu.checkEinsumDimSizes(allDims.length, idDims, tensors as unknown as tf.Tensor[]);
  const { path, steps } = bu.getEinsumComputePath(summedDims, idDims);
  let out: tf.TensorInfo | null = null;
  let remaining = allDims.length;
  const temps: tf.TensorInfo[] = [];
  for (let i = 0; i < steps.length; i++) {
    for (const term of steps[i]!) {
      const { permutationIndices: perm, expandDims } = bu.getEinsumPermutation(remaining, idDims[term]!);
      let x = tensors[term]!;
      if (!bu.isIdentityPermutation(perm)) {
        x = run("Transpose", { x }, backend, { perm });
        temps.push(x);
      }
      const shape = x.shape.slice();
      for (const d of expandDims) shape.splice(d, 0, 1);
      if (!tf.util.arraysEqual(x.shape, shape)) {
        x = run("Reshape", { x }, backend, { shape });
        temps.push(x);
      }
      if (out === null) out = x;
      else {
        out = run("Multiply", { a: x, b: out }, backend);
        temps.push(out);
      }
    }
    if (i < steps.length - 1) {
      if (path[i]! >= 0) {
        const axis = path[i]! - (allDims.length - remaining);
        out = run("Sum", { x: out! }, backend, { axis, keepDims: false });
        temps.push(out);
      }
      remaining--;
    }
  }
  free(backend, ...temps.filter((t) => t !== out));
  if (tensors.includes(out!)) return run("Identity", { x: out! }, backend);
  return out!;
};
