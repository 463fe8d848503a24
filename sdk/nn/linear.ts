// Linear layer, weights in the Hugging Face layout: weight [out, in], bias [out].

import * as tf from "@tensorflow/tfjs-core";
import type { LinearModule } from "./module.js";
import { parametrized } from "./parametrize.js";

/** y = x W^T + b on the last axis. */
export function linear(x: tf.Tensor, weight: tf.Tensor2D, bias: tf.Tensor1D | null): tf.Tensor {
  return tf.tidy(() => {
    const [outF, inF] = weight.shape;
    const lead = x.shape.slice(0, -1);
    const x2 = tf.reshape(x, [-1, inF]) as tf.Tensor2D; // [N, in]
    let y: tf.Tensor = tf.matMul(x2, weight, false, true); // [N, out]
    if (bias) y = tf.add(y, bias); // [N, out]
    return tf.reshape(y, [...lead, outF]); // [..., out]
  });
}

export class Linear implements LinearModule {
  constructor(
    readonly weight: tf.Variable<tf.Rank.R2>,
    readonly bias: tf.Variable<tf.Rank.R1> | null = null,
  ) {
    if (bias && bias.shape[0] !== weight.shape[0]) {
      throw new Error(`Linear: bias [${bias.shape}] does not match weight [${weight.shape}] (out features first)`);
    }
  }

  get inFeatures(): number {
    return this.weight.shape[1];
  }

  get outFeatures(): number {
    return this.weight.shape[0];
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => linear(x, parametrized(this, "weight", this.weight), this.bias && parametrized(this, "bias", this.bias)));
  }

  *namedParameters(): Iterable<[string, tf.Variable]> {
    yield ["weight", this.weight];
    if (this.bias) yield ["bias", this.bias];
  }
}
