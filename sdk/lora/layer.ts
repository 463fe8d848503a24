// A LoRA linear: the wrapped linear plus a low-rank update,
//
//   y = base(x) + s * B(A(dropout(x))),   A [r, in], B [out, r], s = alpha / r (or alpha / sqrt(r))
//
// with PEFT's module names (base_layer, lora_A, lora_B, lora_dropout), so parameter paths read
// "model.layers.0.self_attn.q_proj.lora_A.weight". Dropout reads the training mode of the forward.
// Merged, the update lives in the base weight and the forward is the base alone.

import * as tf from "@tensorflow/tfjs-core";
import { Dropout } from "../nn/dropout.js";
import { Linear } from "../nn/linear.js";
import { callModule, type LinearModule, type Module } from "../nn/module.js";
import type { Mergeable } from "../nn/replace.js";

/** s B A [out, in]: what merging adds to the base weight. */
export function deltaWeight(A: tf.Tensor2D, B: tf.Tensor2D, scaling: number): tf.Tensor2D {
  return tf.tidy(() => tf.mul(tf.matMul(B, A), scaling)); // [out, in]
}

export interface LoraLinearOptions {
  /** [r, in] row-major */
  A: Float32Array;
  /** [out, r] row-major */
  B: Float32Array;
  r: number;
  alpha: number;
  scaling: number;
  dropout: number;
  /** seed of the dropout masks */
  seed: number;
}

export class LoraLinear implements LinearModule, Mergeable {
  readonly lora_A: Linear;
  readonly lora_B: Linear;
  readonly lora_dropout: Dropout;
  readonly r: number;
  readonly alpha: number;
  readonly scaling: number;
  /** true while the update is folded into base_layer.weight (the forward then skips the adapter) */
  merged = false;

  constructor(
    readonly base_layer: Linear,
    o: LoraLinearOptions,
  ) {
    const [outF, inF] = base_layer.weight.shape;
    if (o.A.length !== o.r * inF || o.B.length !== outF * o.r) {
      throw new Error(
        `LoraLinear: A has ${o.A.length} values and B ${o.B.length}; rank ${o.r} of a [${outF}, ${inF}] weight needs ${o.r * inF} and ${outF * o.r}`,
      );
    }
    this.r = o.r;
    this.alpha = o.alpha;
    this.scaling = o.scaling;
    this.lora_A = new Linear(tf.variable(tf.tensor2d(o.A, [o.r, inF]), true));
    this.lora_B = new Linear(tf.variable(tf.tensor2d(o.B, [outF, o.r]), true));
    this.lora_dropout = new Dropout(o.dropout, o.seed);
  }

  get inFeatures(): number {
    return this.base_layer.inFeatures;
  }

  get outFeatures(): number {
    return this.base_layer.outFeatures;
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const y = callModule(this.base_layer, x); // [..., out]
      if (this.merged) return y;
      const h = callModule(this.lora_A, callModule(this.lora_dropout, x)); // [..., r]
      const d = callModule(this.lora_B, h); // [..., out]
      return tf.add(y, tf.mul(d, this.scaling)); // [..., out]
    });
  }

  /** s B A [out, in] from the current factors. */
  delta(): tf.Tensor2D {
    return deltaWeight(this.lora_A.weight, this.lora_B.weight, this.scaling);
  }

  /**
   * The seam's merge (sr.nn.mergeModules): write W + s B A into the base weight, free the adapter's
   * tensors, and hand back the base linear to stand where this wrapper stood.
   */
  merge(): Module {
    if (!this.merged) this.base_layer.weight.assign(tf.tidy(() => tf.add(this.base_layer.weight, this.delta())));
    this.dispose();
    return this.base_layer;
  }

  /** Free lora_A and lora_B (the base layer is not this wrapper's to free). */
  dispose(): void {
    this.lora_A.weight.dispose();
    this.lora_B.weight.dispose();
  }

  *namedChildren(): Iterable<[string, Module]> {
    yield ["base_layer", this.base_layer];
    yield ["lora_dropout", this.lora_dropout];
    yield ["lora_A", this.lora_A];
    yield ["lora_B", this.lora_B];
  }
}
