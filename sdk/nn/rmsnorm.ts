// RMSNorm (Llama, Qwen2, OLMo2): x / sqrt(mean(x^2) + eps) * weight, over the last axis.

import * as tf from "@tensorflow/tfjs-core";
import { rmsNormFused } from "../backend/fused/index.js";
import type { Module } from "./module.js";
import { parametrized } from "./parametrize.js";

export function rmsNorm(x: tf.Tensor, weight: tf.Tensor1D, eps: number): tf.Tensor {
  const fused = rmsNormFused(x, weight, eps); // one kernel where the backend has it
  if (fused) return fused;
  return tf.tidy(() => {
    const variance = tf.mean(tf.square(x), -1, true); // [..., 1]
    const xhat = tf.mul(x, tf.rsqrt(tf.add(variance, eps))); // [..., C]
    return tf.mul(xhat, weight); // [..., C]
  });
}

export class RMSNorm implements Module {
  constructor(
    readonly weight: tf.Variable<tf.Rank.R1>,
    readonly eps: number,
  ) {}

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => rmsNorm(x, parametrized(this, "weight", this.weight), this.eps));
  }

  *namedParameters(): Iterable<[string, tf.Variable]> {
    yield ["weight", this.weight];
  }
}
