// The handle attach() and load() return: the wrapped layers of one model, and what can be done with
// them as a whole. merge() folds every update into its base weight (the adapter stays, inactive, and
// unmerge() gives the exact weights back); detach() puts the plain linears back, merged or as they
// were before attach; save() writes PEFT's adapter files.

import * as tf from "@tensorflow/tfjs-core";
import type { Model } from "../models/model.js";
import { getModule, replaceModule } from "../nn/module.js";
import { DISPLAY, type MimeBundle } from "../viz/mime.js";
import type { LoraConfig } from "./config.js";
import { adapterDisplay } from "./display.js";
import type { Factors } from "./init.js";
import type { LoraLinear } from "./layer.js";
import { type SaveAdapterOptions, saveAdapter } from "./save.js";

export interface AdaptedLayer {
  readonly path: string;
  readonly layer: LoraLinear;
  /** PiSSA / OLoRA: the base weight before the init replaced it with the residual (detach puts it back) */
  readonly original: Float32Array | null;
  /** PiSSA / OLoRA: the factors at initialisation (save {asLora} subtracts them) */
  readonly initial: Factors | null;
}

export type AdapterState = "attached" | "merged" | "detached";

export class LoraAdapter {
  private stateNow: AdapterState = "attached";
  /** while merged: each base weight as it was before merge(), for an exact unmerge() */
  private premerge = new Map<string, Float32Array>();

  constructor(
    readonly model: Model,
    readonly config: LoraConfig,
    readonly layers: readonly AdaptedLayer[],
    /** every variable's trainable flag before attach froze the base (detach restores them) */
    private readonly trainableBefore: Map<tf.Variable, boolean>,
  ) {}

  get state(): AdapterState {
    return this.stateNow;
  }

  /** Whether the init replaced base weights with residuals (PiSSA, OLoRA). */
  get changesBase(): boolean {
    return this.layers.some((l) => l.original !== null);
  }

  /** Values in lora_A and lora_B over all layers. */
  numParams(): number {
    return this.layers.reduce((n, l) => n + l.layer.r * (l.layer.inFeatures + l.layer.outFeatures), 0);
  }

  /** Fold s B A into every base weight; the forward then runs the base alone. Returns the adapter. */
  merge(): this {
    this.expect("merge", "attached");
    for (const { path, layer } of this.layers) {
      this.premerge.set(path, layer.base_layer.weight.dataSync().slice() as Float32Array);
      layer.base_layer.weight.assign(tf.tidy(() => tf.add(layer.base_layer.weight, layer.delta())));
      layer.merged = true;
      // nothing reads them while merged: training them would only see zero gradients
      layer.lora_A.weight.trainable = false;
      layer.lora_B.weight.trainable = false;
    }
    this.stateNow = "merged";
    return this;
  }

  /** Undo merge(): the base weights as they were, bit for bit, and the adapter active again. */
  unmerge(): this {
    this.expect("unmerge", "merged");
    for (const { path, layer } of this.layers) {
      const w = layer.base_layer.weight;
      w.assign(tf.tidy(() => tf.tensor(this.premerge.get(path)!, w.shape)));
      layer.merged = false;
      layer.lora_A.weight.trainable = true;
      layer.lora_B.weight.trainable = true;
    }
    this.premerge.clear();
    this.stateNow = "attached";
    return this;
  }

  /**
   * Put the plain linears back and free the adapter. Merged: the model keeps the fine-tuned weights
   * (merge and unload). Not merged: the model is what it was before attach (PiSSA and OLoRA get
   * their original weights back). Frozen flags return to what they were. Returns the model.
   */
  detach(): Model {
    this.expect("detach", "attached", "merged");
    const merged = this.stateNow === "merged";
    for (const { path, layer, original } of this.layers) {
      replaceModule(this.model, path, layer.base_layer);
      const w = layer.base_layer.weight;
      if (!merged && original) w.assign(tf.tidy(() => tf.tensor(original, w.shape)));
      layer.dispose();
    }
    for (const [v, on] of this.trainableBefore) if (!v.isDisposed) v.trainable = on;
    this.premerge.clear();
    this.stateNow = "detached";
    return this.model;
  }

  /** Write adapter_config.json and adapter_model.safetensors (PEFT's format) into dir. */
  async save(dir: string, opts: SaveAdapterOptions = {}): Promise<void> {
    this.expect("save", "attached", "merged");
    await saveAdapter(this, dir, opts);
  }

  /** Throws unless the adapter is in one of `states` and its wrappers are still in the model. */
  private expect(what: string, ...states: AdapterState[]): void {
    if (!states.includes(this.stateNow)) {
      throw new Error(`lora adapter: ${what}() needs the adapter ${states.join(" or ")}; it is ${this.stateNow}`);
    }
    for (const { path, layer } of this.layers) {
      let now: unknown;
      try {
        now = getModule(this.model, path);
      } catch {
        now = undefined;
      }
      if (now !== layer) {
        throw new Error(
          `lora adapter: ${path} is no longer this adapter's LoraLinear (sr.nn.mergeModules or replaceModule swapped it); ${what}() cannot run`,
        );
      }
    }
  }

  toString(): string {
    return adapterDisplay(this)["text/plain"] as string;
  }

  [DISPLAY](): MimeBundle {
    return adapterDisplay(this);
  }
}
