// A causal language model: the module tree ("model.*", "lm_head"), logits, generation, hooks,
// module swaps, and Hugging Face save. Weights stay in the checkpoint layout.

import * as tf from "@tensorflow/tfjs-core";
import "../nn/gradients.js"; // autodiff through the model needs tfjs-core's gradients registered
import {
  callModule,
  getModule,
  namedParameters,
  replaceModule,
  withHooks,
  type Hooks,
  type LinearModule,
  type Module,
} from "../nn/module.js";
import { DecoderStack, type StackRun } from "../nn/decoder-stack.js";
import type { Tokenizer } from "../io/tokenizer.js";
import { generationConfigFrom, type GenerationConfig } from "../io/hf-config.js";
import type { ModelConfig } from "./config.js";
import { arangeRows, hasPadding, idRows, maskRows, positionRows, positionsFromMask, type IntRows } from "./inputs.js";
import { generate, type GenerateOptions } from "./generate.js";
import { saveModel, type SaveOptions } from "./save.js";
import { modelDisplay } from "./display.js";

export interface LogitsOptions {
  /** [B, T] 1 = real token, 0 = padding; positions then skip padding (cumsum(mask) - 1) */
  attentionMask?: IntRows;
  /** [B, T] explicit positions (default 0..T-1, or from the attention mask) */
  positionIds?: IntRows;
}

export interface ModelExtras {
  tokenizer?: Tokenizer | null;
  generationConfig?: GenerationConfig;
}

export interface ForwardRun extends StackRun {
  /** only the last position's logits: [B, 1, V] */
  lastOnly?: boolean;
}

export class Model implements Module {
  model: DecoderStack;
  lm_head: LinearModule;
  tokenizer: Tokenizer | null;
  generationConfig: GenerationConfig;
  private hooks: { name: string; hooks: Hooks }[] = [];

  constructor(
    readonly config: ModelConfig,
    parts: { model: DecoderStack; lm_head: LinearModule },
    extras: ModelExtras = {},
  ) {
    this.model = parts.model;
    this.lm_head = parts.lm_head;
    this.tokenizer = extras.tokenizer ?? null;
    this.generationConfig = extras.generationConfig ?? generationConfigFrom({}, config);
  }

  /** ids [B, T] -> logits [B, T, V] (or [B, 1, V] with lastOnly). Raw: no tidy, no hooks; see logits(). */
  forward(ids: tf.Tensor2D, run: ForwardRun): tf.Tensor3D {
    return tf.tidy(() => {
      let h = callModule(this.model, ids, run); // [B, T, C]
      if (run.lastOnly) {
        const [B, T, C] = h.shape;
        h = tf.slice(h, [0, T - 1, 0], [B, 1, C]); // [B, 1, C]
      }
      return callModule(this.lm_head, h) as tf.Tensor3D; // [B, T, V]
    });
  }

  /** Next-token logits [B, T, V] (float32) for ids [B, T]. */
  logits(ids: IntRows, opts: LogitsOptions = {}): tf.Tensor3D {
    const rows = idRows(ids, this.config.vocabSize);
    const [B, T] = [rows.length, rows[0].length];
    const mask = opts.attentionMask === undefined ? null : maskRows(opts.attentionMask, B, T);
    const pos = opts.positionIds !== undefined ? positionRows(opts.positionIds, B, T) : mask ? positionsFromMask(mask) : arangeRows(B, T);
    return tf.tidy(() =>
      this.withHooks(() => {
        const idsT = tf.tensor2d(rows, [B, T], "int32"); // [B, T]
        const positions = tf.tensor2d(pos, [B, T], "int32"); // [B, T]
        const keyMask = hasPadding(mask) ? tf.tensor2d(mask!, [B, T], "float32") : null; // [B, T]
        return this.forward(idsT, { positions, keyMask }); // [B, T, V]
      }),
    );
  }

  /** Run `fn` with this model's hooks active (for code that calls forward() directly). */
  withHooks<T>(fn: () => T): T {
    const active = new Map<Module, Hooks[]>();
    for (const { name, hooks } of this.hooks) {
      const m = getModule(this, name);
      active.set(m, [...(active.get(m) ?? []), hooks]);
    }
    return withHooks(active, fn);
  }

  /**
   * Watch a named module: `input` gets its first argument, `output` its result, on every forward.
   * The tensors live only during the call (read them synchronously, or tf.keep a clone).
   * Hooks follow the name: a module swapped in later at that name is hooked too. Returns a remover.
   */
  hook(name: string, hooks: Hooks): () => void {
    getModule(this, name); // fail now on a bad name
    const entry = { name, hooks };
    this.hooks.push(entry);
    return () => {
      this.hooks = this.hooks.filter((e) => e !== entry);
    };
  }

  /** All parameters by Hugging Face name; a tied lm_head is listed once, as model.embed_tokens.weight. */
  parameters(): Map<string, tf.Variable> {
    return namedParameters(this);
  }

  numParams(): number {
    let n = 0;
    for (const v of this.parameters().values()) n += v.size;
    return n;
  }

  /** The submodule at a dotted path, e.g. "model.layers.3.self_attn.q_proj". */
  module(name: string): Module {
    return getModule(this, name);
  }

  /** Swap the submodule at `name` for any object with the same interface; returns the old one. */
  replaceModule(name: string, module: Module): Module {
    return replaceModule(this, name, module);
  }

  generate(prompt: string, opts?: GenerateOptions): Promise<string>;
  generate(prompt: number[], opts?: GenerateOptions): Promise<number[]>;
  generate(prompt: number[][], opts?: GenerateOptions): Promise<number[][]>;
  generate(prompt: string | number[] | number[][], opts: GenerateOptions = {}): Promise<string | number[] | number[][]> {
    return generate(this, prompt, opts);
  }

  /** Save as a Hugging Face directory (config.json, safetensors, generation config, tokenizer). */
  save(dir: string, opts: SaveOptions = {}): Promise<void> {
    return saveModel(this, dir, opts);
  }

  /** Free every parameter. */
  dispose(): void {
    for (const v of this.parameters().values()) v.dispose();
  }

  *namedChildren(): Iterable<[string, Module]> {
    yield ["model", this.model];
    yield ["lm_head", this.lm_head];
  }

  setChild(name: string, module: Module): void {
    if (name === "lm_head") this.lm_head = module as LinearModule;
    else if (name === "model") {
      if (!(module instanceof DecoderStack)) throw new Error(`"model" must stay a DecoderStack; replace its parts instead`);
      this.model = module;
    } else throw new Error(`Model has no child "${name}" (children: model, lm_head)`);
  }

  [Symbol.for("Jupyter.display")](): Record<string, string> {
    return modelDisplay(this);
  }

  toString(): string {
    return modelDisplay(this)["text/plain"];
  }
}
