// A causal language model: the module tree ("model.*", "lm_head"), logits and hidden states,
// generation, and the seams methods build on: hooks, module swaps, freezing, training/evaluation
// mode, weight parametrisation, running one layer alone, weights in and out. Weights stay in the
// checkpoint layout.

import * as tf from "@tensorflow/tfjs-core";
import "../nn/gradients.js"; // autodiff through the model needs tfjs-core's gradients registered
import {
  callModule,
  getModule,
  namedParameters,
  replaceModule,
  withHooks,
  type HookBatch,
  type Hooks,
  type LinearModule,
  type Module,
} from "../nn/module.js";
import { fieldChildren, setFieldChild } from "../nn/children.js";
import { DecoderStack, type StackRun } from "../nn/decoder-stack.js";
import { freeze, unfreeze } from "../nn/freeze.js";
import { withTraining } from "../nn/mode.js";
import { parametrize, unparametrize, type Parametrization, type UnparametrizeOptions } from "../nn/parametrize.js";
import type { ModuleMatch, ParamMatch } from "../nn/paths.js";
import { replaceModules } from "../nn/replace.js";
import type { Tokenizer } from "../io/tokenizer.js";
import { generationConfigFrom, type GenerationConfig } from "../io/hf-config.js";
import type { ModelConfig } from "./config.js";
import { hasPadding, idRows, labelRows, type IntRows } from "./inputs.js";
import { hookBatch, runLayerAlone, tokenLayout, type RunLayerOptions } from "./run.js";
import { generate, type GenerateOptions } from "./generate.js";
import { saveModel, type SaveOptions } from "./save.js";
import { modelDisplay } from "./display.js";
import { captureModules, type Captured } from "./capture.js";
import { loadWeights, type WeightSource, type LoadWeightsOptions, type LoadWeightsResult } from "./load-weights.js";

export interface LogitsOptions {
  /** [B, T] 1 = real token, 0 = padding; positions then skip padding (cumsum(mask) - 1) */
  attentionMask?: IntRows;
  /** [B, T] explicit positions (default 0..T-1, or from the attention mask) */
  positionIds?: IntRows;
  /** [B, T] the batch's labels (-100 = ignored); the forward does not read them, hooks do (HookBatch.labels) */
  labels?: IntRows;
  /** training (true) or evaluation (false) mode for this call; default: the model's (model.training) */
  training?: boolean;
}

export type { RunLayerOptions };

export interface ModelExtras {
  tokenizer?: Tokenizer | null;
  generationConfig?: GenerationConfig;
}

export interface ForwardRun extends StackRun {
  /** only the last position: [B, 1, V] (or [B, 1, C]) */
  lastOnly?: boolean;
  /** "logits" (default): [B, T, V]; "hidden": the final hidden states [B, T, C] that lm_head reads */
  output?: "logits" | "hidden";
  /** [B, T] int32 labels, for hooks only */
  labels?: tf.Tensor2D | null;
  /** default: the model's mode */
  training?: boolean;
}

const CHILDREN = ["model", "lm_head"] as const;

export class Model implements Module {
  model: DecoderStack;
  lm_head: LinearModule;
  tokenizer: Tokenizer | null;
  generationConfig: GenerationConfig;
  /**
   * Training mode (dropout active, gates sampled) or evaluation mode. Models start in evaluation
   * mode; sr.train.fit switches to training for its steps and restores this afterwards; generate
   * always runs in evaluation mode.
   */
  training = false;
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

  /**
   * ids [B, T] -> logits [B, T, V] (or hidden states [B, T, C], or only the last position), inside a
   * tf.tidy, with this model's hooks active and in the model's mode unless `run.training` says
   * otherwise. logits() and hidden() check their inputs and call this.
   */
  forward(ids: tf.Tensor2D, run: ForwardRun): tf.Tensor3D {
    return tf.tidy(() =>
      withTraining(run.training ?? this.training, () =>
        this.withHooks(
          () => {
            let h = callModule(this.model, ids, run); // [B, T, C]
            if (run.lastOnly) {
              const [B, T, C] = h.shape;
              h = tf.slice(h, [0, T - 1, 0], [B, 1, C]); // [B, 1, C]
            }
            if (run.output === "hidden") return h; // [B, T, C]
            return callModule(this.lm_head, h) as tf.Tensor3D; // [B, T, V]
          },
          () => hookBatch(ids.shape[0], ids.shape[1], run),
        ),
      ),
    );
  }

  /** Next-token logits [B, T, V] (float32) for ids [B, T]. */
  logits(ids: IntRows, opts: LogitsOptions = {}): tf.Tensor3D {
    return this.run(ids, opts, "logits");
  }

  /**
   * The final hidden states [B, T, C] (after the last norm: what lm_head reads), for a head on a
   * pooled representation (see sr.nn.pool).
   */
  hidden(ids: IntRows, opts: LogitsOptions = {}): tf.Tensor3D {
    return this.run(ids, opts, "hidden");
  }

  private run(ids: IntRows, opts: LogitsOptions, output: "logits" | "hidden"): tf.Tensor3D {
    const rows = idRows(ids, this.config.vocabSize);
    const [B, T] = [rows.length, rows[0].length];
    if (T > this.config.maxSeq) throw new Error(`${output}: ${T} tokens per row; the model has maxSeq = ${this.config.maxSeq} positions`);
    const { mask, pos } = tokenLayout(B, T, opts);
    const labels = opts.labels === undefined ? null : labelRows(opts.labels, B, T, this.config.vocabSize);
    return tf.tidy(() => {
      const idsT = tf.tensor2d(rows, [B, T], "int32"); // [B, T]
      const positions = tf.tensor2d(pos, [B, T], "int32"); // [B, T]
      const keyMask = hasPadding(mask) ? tf.tensor2d(mask!, [B, T], "float32") : null; // [B, T]
      const labelsT = labels ? tf.tensor2d(labels, [B, T], "int32") : null; // [B, T]
      return this.forward(idsT, { positions, keyMask, labels: labelsT, output, training: opts.training });
    });
  }

  /**
   * Run the mixer of decoder layer `layer` ("model.layers.<layer>.self_attn") alone on hidden states
   * x [B, T, C], with the rotary tables and causal/padding bias the full forward would give it:
   * y [B, T, C]. Layer-wise distillation feeds the teacher's attention input to both models' mixers
   * and compares the outputs. Hooks and mode apply as in forward().
   */
  runAttention(layer: number, x: tf.Tensor3D, opts: RunLayerOptions = {}): tf.Tensor3D {
    return runLayerAlone(this, layer, "attention", x, opts);
  }

  /** Run decoder layer `layer` (mixer, MLP, norms, residuals) alone on x [B, T, C]: [B, T, C]. */
  runLayer(layer: number, x: tf.Tensor3D, opts: RunLayerOptions = {}): tf.Tensor3D {
    return runLayerAlone(this, layer, "layer", x, opts);
  }

  /**
   * Run ids through the model once and keep the first input and the output of every module that
   * `match` selects (a RegExp on paths, names as in PEFT's target_modules, or a predicate), by path.
   * The tensors are kept: dispose them (tf.dispose(Object.values(...))) when done. A module called
   * more than once in the forward keeps its last call.
   */
  capture(ids: IntRows, match: ModuleMatch, opts: LogitsOptions = {}): Map<string, Captured> {
    return captureModules(this, match, (needLogits) => {
      tf.dispose(needLogits ? this.logits(ids, opts) : this.hidden(ids, opts));
    });
  }

  /** This model's hooks, by module (resolved by name now, so a module swapped in later is hooked too). */
  private activeHooks(): Map<Module, Hooks[]> {
    const active = new Map<Module, Hooks[]>();
    for (const { name, hooks } of this.hooks) {
      const m = getModule(this, name);
      active.set(m, [...(active.get(m) ?? []), hooks]);
    }
    return active;
  }

  /**
   * Run `fn` with this model's hooks active (forward() already does; for code that calls submodules
   * itself). `batch` gives what hooks see of the batch; it is called only when there are hooks.
   */
  withHooks<T>(fn: () => T, batch?: () => HookBatch | null): T {
    const hooks = this.activeHooks();
    return withHooks(hooks, fn, hooks.size && batch ? batch() : null);
  }

  /**
   * Watch a named module: `input` gets its first argument, `output` its result, on every forward;
   * both also get the module's arguments and the batch's attention mask and labels (HookCall).
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

  /** Training mode (default) or, with false, evaluation mode. Returns the model. */
  train(on = true): this {
    this.training = on;
    return this;
  }

  /** Evaluation mode: dropout off, gates deterministic. Returns the model. */
  eval(): this {
    this.training = false;
    return this;
  }

  /** All parameters by Hugging Face name; a tied lm_head is listed once, as model.embed_tokens.weight. */
  parameters(): Map<string, tf.Variable> {
    return namedParameters(this);
  }

  /** Number of parameter values: all, or only those that train. */
  numParams(which: "all" | "trainable" = "all"): number {
    let n = 0;
    for (const v of this.parameters().values()) if (which === "all" || v.trainable) n += v.size;
    return n;
  }

  /**
   * Stop the matched parameters (default: all) from training: a RegExp on names, a name or module
   * path ("model.layers.0", "lm_head"), a list of those, or a predicate. Returns the names frozen.
   */
  freeze(match?: ParamMatch): string[] {
    return freeze(this, match);
  }

  /** Let the matched parameters (default: all) train again. Returns their names. */
  unfreeze(match?: ParamMatch): string[] {
    return unfreeze(this, match);
  }

  /** The submodule at a dotted path, e.g. "model.layers.3.self_attn.q_proj". */
  module(name: string): Module {
    return getModule(this, name);
  }

  /** Swap the submodule at `name` for any object with the same interface; returns the old one. */
  replaceModule(name: string, module: Module): Module {
    return replaceModule(this, name, module);
  }

  /** Replace every module `match` selects with wrap(module, path); returns the paths (see sr.nn.replaceModules). */
  replaceModules(match: ModuleMatch, wrap: (module: Module, path: string) => Module): string[] {
    return replaceModules(this, match, wrap);
  }

  /** Compute with p(W) wherever weight `name` is read (see sr.nn.parametrize); returns the names parametrised. */
  parametrize(name: string, p: Parametrization): string[] {
    return parametrize(this, name, p);
  }

  /** Remove the parametrisation of weight `name`, optionally merging p(W) into W; returns it. */
  unparametrize(name: string, opts?: UnparametrizeOptions): Parametrization {
    return unparametrize(this, name, opts);
  }

  /**
   * Copy weights by name from another model or a name -> tensor map (a teacher's shared parts into
   * a student, averaged experts, a checkpoint). Shapes must match. With strict (the default), names
   * this model lacks or leaves unfilled are errors; otherwise they are reported.
   */
  loadWeights(source: WeightSource, opts: LoadWeightsOptions = {}): LoadWeightsResult {
    return loadWeights(this, source, opts);
  }

  generate(prompt: string, opts?: GenerateOptions): Promise<string>;
  generate(prompt: number[], opts?: GenerateOptions): Promise<number[]>;
  generate(prompt: number[][], opts?: GenerateOptions): Promise<number[][]>;
  generate(prompt: string | number[] | number[][], opts: GenerateOptions = {}): Promise<string | number[] | number[][]> {
    return generate(this, prompt, opts);
  }

  /**
   * Save as a Hugging Face directory (config.json, safetensors, generation config, tokenizer).
   * Refuses, naming the module and the way out, when the tree holds wrappers or parametrised
   * weights that a checkpoint of this config could not load back.
   */
  save(dir: string, opts: SaveOptions = {}): Promise<void> {
    return saveModel(this, dir, opts);
  }

  /** Free every parameter (parametrisations' and wrappers' included). */
  dispose(): void {
    for (const v of this.parameters().values()) v.dispose();
  }

  namedChildren(): Iterable<[string, Module]> {
    return fieldChildren(this, CHILDREN);
  }

  setChild(name: string, module: Module): void {
    setFieldChild(this, "Model", CHILDREN, name, module, (n, m) => {
      if (n === "model" && !(m instanceof DecoderStack)) throw new Error(`"model" must stay a DecoderStack; replace its parts instead`);
    });
  }

  [Symbol.for("Jupyter.display")](): Record<string, string> {
    return modelDisplay(this);
  }

  toString(): string {
    return modelDisplay(this)["text/plain"];
  }
}
