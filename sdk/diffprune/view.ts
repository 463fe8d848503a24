// A core with some subnetworks switched on: what core.with(mask(...)) returns. It holds only the
// names; each call activates them on the core's switches for its own duration, so views of one
// core share its weights and never copy them.

import type * as tf from "@tensorflow/tfjs-core";
import { DISPLAY, type MimeBundle } from "../viz/mime.js";
import { withSubnetworks, type Combine } from "./active.js";
import { predictLabels, type Core, type CoreInput } from "./core.js";

export class CoreView {
  constructor(
    readonly core: Core,
    readonly names: readonly string[],
    readonly combine: Combine,
  ) {}

  /** Run `fn` (any forward of core.model) with this view's subnetworks active. `fn` must be synchronous. */
  run<T>(fn: () => T): T {
    return withSubnetworks(this.core, this.names, this.combine, fn);
  }

  /** Representations [N, C] in evaluation mode with the subnetworks active. */
  represent(inputs: readonly CoreInput[]): tf.Tensor2D {
    return this.run(() => this.core.representActive(inputs));
  }

  /** Task logits [N, L] from representations (the task head is the core's). */
  classify(h: tf.Tensor2D): tf.Tensor2D {
    return this.core.classify(h);
  }

  logits(inputs: readonly CoreInput[]): tf.Tensor2D {
    const h = this.represent(inputs);
    const out = this.classify(h);
    h.dispose();
    return out;
  }

  predict(inputs: readonly CoreInput[]): string[] {
    return predictLabels(this.logits(inputs), this.core.labels);
  }

  toString(): string {
    const what = this.names.length ? this.names.join(this.combine === "sum" ? " + " : ", ") : "no subnetwork";
    return `<diffprune Core with ${what}${this.names.length > 1 ? ` (${this.combine})` : ""}>`;
  }

  [DISPLAY](): MimeBundle {
    return { "text/plain": this.toString() };
  }
}
