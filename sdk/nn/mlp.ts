// SwiGLU feed-forward: down(silu(gate(x)) * up(x)).

import * as tf from "@tensorflow/tfjs-core";
import { swigluFused } from "../backend/fused/index.js";
import { fieldChildren, setFieldChild } from "./children.js";
import { callModule, type LinearModule, type Module } from "./module.js";

const CHILDREN = ["gate_proj", "up_proj", "down_proj"] as const;

export class SwiGLU implements Module {
  constructor(
    public gate_proj: LinearModule,
    public up_proj: LinearModule,
    public down_proj: LinearModule,
  ) {}

  forward(x: tf.Tensor3D): tf.Tensor3D {
    return tf.tidy(() => {
      const g = callModule(this.gate_proj, x); // [B, T, F]
      const u = callModule(this.up_proj, x); // [B, T, F]
      const h = swigluFused(g, u) ?? tf.mul(tf.mul(g, tf.sigmoid(g)), u); // [B, T, F] silu(g) * u
      return callModule(this.down_proj, h) as tf.Tensor3D; // [B, T, C]
    });
  }

  namedChildren(): Iterable<[string, Module]> {
    return fieldChildren(this, CHILDREN);
  }

  setChild(name: string, module: Module): void {
    setFieldChild(this, "SwiGLU", CHILDREN, name, module);
  }
}
