// AdamW (Loshchilov & Hutter): Adam moments with decoupled weight decay, p -= lr * (m^/(sqrt(v^)+eps) + wd * p).
// Moments live in variables keyed by parameter name; state() / load() round-trip them for checkpoints.

import * as tf from "@tensorflow/tfjs-core";
import { adamwFused } from "../backend/fused/index.js";

export interface AdamWConfig {
  beta1: number;
  beta2: number;
  eps: number;
}

export interface ParamUpdate {
  lr: number;
  weightDecay: number;
}

export class AdamW {
  readonly m = new Map<string, tf.Variable>();
  readonly v = new Map<string, tf.Variable>();
  /** optimizer steps taken */
  step = 0;

  constructor(readonly config: AdamWConfig = { beta1: 0.9, beta2: 0.999, eps: 1e-8 }) {}

  private moments(name: string, p: tf.Variable): [tf.Variable, tf.Variable] {
    if (!this.m.has(name)) {
      this.m.set(
        name,
        tf.tidy(() => tf.variable(tf.zerosLike(p), false)),
      );
      this.v.set(
        name,
        tf.tidy(() => tf.variable(tf.zerosLike(p), false)),
      );
    }
    return [this.m.get(name)!, this.v.get(name)!];
  }

  /** One update of every parameter that has a gradient. */
  apply(params: Map<string, tf.Variable>, grads: Map<string, tf.Tensor>, hyper: (name: string) => ParamUpdate): void {
    this.step++;
    const { beta1: b1, beta2: b2, eps } = this.config;
    const c1 = 1 - b1 ** this.step;
    const c2 = 1 - b2 ** this.step;
    for (const [name, g] of grads) {
      const p = params.get(name)!;
      const [m, v] = this.moments(name, p);
      const { lr, weightDecay } = hyper(name);
      tf.tidy(() => {
        const fused = adamwFused(p, m, v, g, { lr, weightDecay, beta1: b1, beta2: b2, eps, c1, c2 }); // one kernel where the backend has it
        if (fused) {
          p.assign(fused[0]);
          m.assign(fused[1]);
          v.assign(fused[2]);
          return;
        }
        const m1 = tf.add(tf.mul(m, b1), tf.mul(g, 1 - b1)); // like p
        const v1 = tf.add(tf.mul(v, b2), tf.mul(tf.square(g), 1 - b2)); // like p
        const upd = tf.div(tf.div(m1, c1), tf.add(tf.sqrt(tf.div(v1, c2)), eps)); // like p
        const decayed = weightDecay > 0 ? tf.mul(p, 1 - lr * weightDecay) : p; // like p
        m.assign(m1);
        v.assign(v1);
        p.assign(tf.sub(decayed, tf.mul(upd, lr)));
      });
    }
  }

  /** Moments as plain arrays (m.<name>, v.<name>) for a checkpoint. */
  async state(): Promise<Record<string, { shape: number[]; data: Float32Array }>> {
    const out: Record<string, { shape: number[]; data: Float32Array }> = {};
    for (const [kind, map] of [
      ["m", this.m],
      ["v", this.v],
    ] as const) {
      for (const [name, t] of map) out[`${kind}.${name}`] = { shape: [...t.shape], data: (await t.data()) as Float32Array };
    }
    return out;
  }

  load(step: number, tensors: Record<string, { shape: number[]; data: Float32Array }>): void {
    this.dispose();
    this.step = step;
    for (const [key, t] of Object.entries(tensors)) {
      const kind = key.slice(0, 2);
      const name = key.slice(2);
      const map = kind === "m." ? this.m : kind === "v." ? this.v : null;
      if (!map) throw new Error(`optimizer state: unexpected tensor "${key}" (expected m.<name> or v.<name>)`);
      map.set(
        name,
        tf.tidy(() => tf.variable(tf.tensor(t.data, t.shape, "float32"), false)),
      );
    }
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
    this.m.clear();
    this.v.clear();
  }
}
