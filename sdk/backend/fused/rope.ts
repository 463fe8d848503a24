// Rotary embedding as one kernel and one gradient kernel: y = x cos + rotate_half(x) sin with
// rotate_half([x1, x2]) = [-x2, x1] over the halves of the head dim (the composite: ExpandDims,
// Multiply, a rotation matmul, Multiply, Add, and more backward). x [B, H, T, D], cos/sin [B, T, D].
// Backward, with h = D/2 (the rotation's transpose):
//   dx[i] = dy[i] cos[i] + dy[i+h] sin[i+h]   (i < h)
//   dx[i] = dy[i] cos[i] - dy[i-h] sin[i-h]   (i >= h)
// cos and sin come from positions and never need a gradient in a model; should someone ask for one,
// it is computed by the composite formula.
import * as tf from "@tensorflow/tfjs-core";
import { simdKernels } from "../simd/index.js";
import { alloc, offset } from "../wasm-kernels/heap.js";
import { fusedReady, registerGrad, registerWasm, runKernel } from "./kernel.js";

export const ROPE = "StillroomRope";
export const ROPE_GRAD = "StillroomRopeGrad";

/** x [B, H, T, D] rotated by cos/sin [B, T, D] with the fused kernel, or null where it does not run. */
export function ropeFused(x: tf.Tensor4D, cos: tf.Tensor3D, sin: tf.Tensor3D): tf.Tensor4D | null {
  const [B, , T, D] = x.shape;
  const fits = (t: tf.Tensor) => t.dtype === "float32" && tf.util.arraysEqual(t.shape, [B, T, D]);
  if (!fusedReady(ROPE) || x.dtype !== "float32" || D % 2 !== 0 || !fits(cos) || !fits(sin)) return null;
  return runKernel<tf.Tensor4D>(ROPE, { x, cos, sin });
}

function ropeKernel(backward: boolean): tf.KernelFunc {
  return ({ inputs, backend }) => {
    const { cos, sin } = inputs as { cos: tf.TensorInfo; sin: tf.TensorInfo };
    const x = (backward ? inputs.dy : inputs.x) as tf.TensorInfo;
    const out = alloc(backend, x.shape, "float32"); // [B, H, T, D]
    const [B, H, T, D] = x.shape as [number, number, number, number];
    const o = (t: tf.TensorInfo) => offset(backend, t);
    const k = simdKernels(backend);
    (backward ? k.rope_grad : k.rope)(o(x), o(cos), o(sin), o(out), B, H, T, D);
    return out;
  };
}

/** rotate_half over the last axis, by slices (for the rarely needed gradients of cos and sin). */
function rotateHalf(x: tf.Tensor): tf.Tensor {
  const D = x.shape[x.shape.length - 1]!;
  const [x1, x2] = tf.split(x, [D / 2, D / 2], -1); // [..., D/2] each
  return tf.concat([tf.neg(x2!), x1!], -1); // [..., D]
}

export function registerRope(): void {
  registerWasm(ROPE, ropeKernel(false));
  registerWasm(ROPE_GRAD, ropeKernel(true));
  registerGrad({
    kernelName: ROPE,
    inputsToSave: ["x", "cos", "sin"],
    gradFunc: (dy, saved) => {
      const [x, cos, sin] = saved as [tf.Tensor4D, tf.Tensor3D, tf.Tensor3D];
      const g = dy as tf.Tensor4D;
      return {
        x: () => runKernel<tf.Tensor>(ROPE_GRAD, { dy: g, cos, sin }),
        cos: () => tf.sum(tf.mul(g, x), 1), // [B, T, D]
        sin: () => tf.sum(tf.mul(g, rotateHalf(x)), 1), // [B, T, D]
      };
    },
  });
}
