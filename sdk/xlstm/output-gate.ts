// The hybrid student's per-head output gate: a sigmoid mix of the mLSTM branch and the
// sliding-window attention branch, h = o * mlstm + (1 - o) * swa with o = sigmoid(o~).

import * as tf from "@tensorflow/tfjs-core";
import { badShape, expectShape } from "./options.js";

/**
 * @param oPre gate pre-activations o~, one per head and token: [B, H, S] (or [B, H] for one token)
 * @param mlstm [B, H, S, D] (or [B, H, D])
 * @param swa the same shape as mlstm
 * @returns o * mlstm + (1 - o) * swa, the shape of mlstm
 */
export function outputGateMix<T extends tf.Tensor>(oPre: tf.Tensor, mlstm: T, swa: T): T {
  const fn = "outputGateMix";
  if (!mlstm || mlstm.rank < 2) badShape(fn, "mlstm", mlstm, "[B, H, S, D] or [B, H, D]");
  expectShape(fn, "swa", swa, mlstm.shape, "the shape of mlstm");
  expectShape(fn, "oPre", oPre, mlstm.shape.slice(0, -1), "the shape of mlstm without its last axis");
  return tf.tidy(() => {
    const o = tf.expandDims(tf.sigmoid(oPre), -1); // [B, H, S, 1]
    return tf.add(swa, tf.mul(o, tf.sub(mlstm, swa))) as T; // [B, H, S, D]
  });
}
