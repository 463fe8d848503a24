// A per-head learned feature map as a module: it owns W [H, D, F] and applies featureMap. Reading
// W through `parametrized` lets the model's seams (parametrise, freeze) reach it like any weight.

import * as tf from "@tensorflow/tfjs-core";
import type { Module } from "../nn/module.js";
import { parametrized } from "../nn/parametrize.js";
import { type FeatureMapKind, featureMap } from "./feature-map.js";

export class FeatureMapModule implements Module {
  constructor(
    readonly weight: tf.Variable<tf.Rank.R3>,
    readonly kind: FeatureMapKind,
  ) {}

  /** x [B, H, S, D] or [B, H, D] -> phi(x) [B, H, S, F'] or [B, H, F'] */
  forward<T extends tf.Tensor3D | tf.Tensor4D>(x: T): T {
    return tf.tidy(() => featureMap(x, parametrized(this, "weight", this.weight), { kind: this.kind }));
  }

  *namedParameters(): Iterable<[string, tf.Variable]> {
    yield ["weight", this.weight];
  }
}
