// The core: a model fine-tuned for a classification task, its task head on the pooled
// representation, and the attribute-removal subnetworks trained for it. Subnetworks change the
// model's weights only while they are active (core.with(mask(...))): each weight the subnetworks
// cover carries one switch (switch.ts) installed through sr.nn.parametrize, and the core's own
// weights are never written.

import * as tf from "@tensorflow/tfjs-core";
import { ArgumentError } from "../errors.js";
import type { Tokenizer } from "../io/tokenizer.js";
import type { Model } from "../models/model.js";
import { namedParameters } from "../nn/module.js";
import { withTraining } from "../nn/mode.js";
import { parametrize } from "../nn/parametrize.js";
import { groupPaths, paramMatcher, type ParamMatch } from "../nn/paths.js";
import { pool, type Pooling } from "../nn/pool.js";
import type { BiasExample, EncodedBatch } from "../tasks/bias-data.js";
import { CLS_TOKEN, PAD_TOKEN } from "../tasks/bias-tokenizer.js";
import { DISPLAY, type MimeBundle } from "../viz/mime.js";
import { Table } from "../viz/table.js";
import { COMBINES, withSubnetworks, type Combine } from "./active.js";
import { weightsHash } from "./hash.js";
import type { TaskHead } from "./heads.js";
import type { LossLog } from "./loop.js";
import { MaskSelection } from "./mask.js";
import type { Subnetwork } from "./subnetwork.js";
import { SubnetworkSwitch } from "./switch.js";
import { CoreView } from "./view.js";

/** A text or an example (only its text is read). */
export type CoreInput = string | Pick<BiasExample, "text">;

export interface CoreInit {
  model: Model;
  head: TaskHead;
  labels: readonly string[];
  pooling: Pooling;
  /** tokens per text, [CLS] included */
  maxLength: number;
  tokenizer: Tokenizer;
  /** head dropout, kept for saving */
  dropout: number;
}

/** A parameter a subnetwork cannot hold: the subnetworks' own tensors. */
const isDiffTensor = (name: string) => name.includes(".parametrizations.");

export class Core {
  readonly model: Model;
  readonly head: TaskHead;
  readonly labels: readonly string[];
  readonly pooling: Pooling;
  readonly maxLength: number;
  readonly tokenizer: Tokenizer;
  readonly dropout: number;
  /** the trained subnetworks, by name */
  readonly subnetworks = new Map<string, Subnetwork>();
  /** counts changes of the core's own weights by the SDK's loops: a subnetwork trained at another version is stale */
  version = 0;
  /** the task fine-tuning's losses */
  log: LossLog | null = null;
  private readonly switches = new Map<string, SubnetworkSwitch>();
  private readonly padId: number;
  private readonly clsId: number;

  constructor(init: CoreInit) {
    this.model = init.model;
    this.head = init.head;
    this.labels = [...init.labels];
    this.pooling = init.pooling;
    this.maxLength = init.maxLength;
    this.tokenizer = init.tokenizer;
    this.dropout = init.dropout;
    const pad = init.tokenizer.tokenToId(PAD_TOKEN);
    const cls = init.tokenizer.tokenToId(CLS_TOKEN);
    if (pad === undefined || cls === undefined)
      throw new Error(`diffprune core: the tokenizer has no ${pad === undefined ? PAD_TOKEN : CLS_TOKEN} token`);
    this.padId = pad;
    this.clsId = cls;
    if (init.model.config.vocabSize < init.tokenizer.vocabSize) {
      throw new ArgumentError(
        "model.config.vocabSize",
        init.model.config.vocabSize,
        `at least the tokenizer's ${init.tokenizer.vocabSize} ids`,
        "diffprune core",
      );
    }
  }

  /** The core's own weights: the model's parameters without the subnetworks' tensors. */
  baseParameters(): Map<string, tf.Variable> {
    return new Map([...this.model.parameters()].filter(([n]) => !isDiffTensor(n)));
  }

  /** The task head's parameters, as "head.<name>". */
  headParameters(): Map<string, tf.Variable> {
    return new Map([...namedParameters(this.head)].map(([n, v]) => [`head.${n}`, v]));
  }

  /** Names of the weights a subnetwork may change: `match` among the base parameters (default: all under "model."). */
  diffParameterNames(match?: ParamMatch): string[] {
    const test = match === undefined ? (n: string) => n.startsWith("model.") : paramMatcher(match);
    const names = [...this.baseParameters().keys()].filter(test);
    if (names.length === 0) {
      const all = groupPaths(this.baseParameters().keys()).map((l) => `  ${l}`);
      throw new Error(`diffprune: params matches no weight of the core. Its weights are:\n${all.join("\n")}`);
    }
    return names;
  }

  /** The switch on weight `name`, installed through sr.nn.parametrize when it has none yet. */
  switchFor(name: string): SubnetworkSwitch {
    let s = this.switches.get(name);
    if (!s) {
      s = new SubnetworkSwitch(this);
      parametrize(this.model, name, s);
      this.switches.set(name, s);
    }
    return s;
  }

  /** Every installed switch, by weight name. */
  get switchesByWeight(): ReadonlyMap<string, SubnetworkSwitch> {
    return this.switches;
  }

  /** Ids of each text, cut to maxLength - 1 tokens, with [CLS] appended. */
  rowsOf(inputs: readonly CoreInput[]): number[][] {
    return inputs.map((x) => {
      const text = typeof x === "string" ? x : x.text;
      return [...this.tokenizer.encode(text, { addSpecialTokens: false }).slice(0, this.maxLength - 1), this.clsId];
    });
  }

  /** Rows right-padded with [PAD] to the longest, with the mask of real tokens. */
  padRows(rows: readonly number[][]): EncodedBatch {
    const T = Math.max(...rows.map((r) => r.length));
    return {
      ids: rows.map((r) => [...r, ...Array<number>(T - r.length).fill(this.padId)]),
      mask: rows.map((r) => [...Array<number>(r.length).fill(1), ...Array<number>(T - r.length).fill(0)]),
    };
  }

  /** What the model reads for these texts: ids with [CLS] appended, right-padded. */
  encode(inputs: readonly CoreInput[]): EncodedBatch {
    return this.padRows(this.rowsOf(inputs));
  }

  /** Pooled representations [B, C] of a batch, with whatever subnetworks are active now. */
  pooled(batch: EncodedBatch, training: boolean): tf.Tensor2D {
    return tf.tidy(() => {
      const h = this.model.hidden(batch.ids, { attentionMask: batch.mask, training }); // [B, T, C]
      return pool(h, tf.tensor2d(batch.mask, undefined, "float32"), this.pooling); // [B, C]
    });
  }

  /** Representations [N, C] in evaluation mode, under the active selection, `batchSize` texts per forward. */
  representActive(inputs: readonly CoreInput[], batchSize = 64): tf.Tensor2D {
    if (inputs.length === 0) throw new ArgumentError("inputs", inputs, "at least one text", "represent");
    const parts: tf.Tensor2D[] = [];
    for (let i = 0; i < inputs.length; i += batchSize) parts.push(this.pooled(this.encode(inputs.slice(i, i + batchSize)), false));
    if (parts.length === 1) return parts[0];
    const out = tf.concat(parts, 0) as tf.Tensor2D; // [N, C]
    tf.dispose(parts);
    return out;
  }

  /** The core's representations [N, C] (subnetworks off), in evaluation mode. */
  represent(inputs: readonly CoreInput[]): tf.Tensor2D {
    return withSubnetworks(this, [], "sum", () => this.representActive(inputs));
  }

  /** Task logits [N, L] from representations [N, C], in evaluation mode. */
  classify(h: tf.Tensor2D): tf.Tensor2D {
    return withTraining(false, () => this.head.forward(h));
  }

  /** Task logits [N, L] of texts (subnetworks off). */
  logits(inputs: readonly CoreInput[]): tf.Tensor2D {
    return tf.tidy(() => this.classify(this.represent(inputs)));
  }

  /** The predicted label of each text (subnetworks off). */
  predict(inputs: readonly CoreInput[]): string[] {
    return predictLabels(this.logits(inputs), this.labels);
  }

  /**
   * The core with the selected subnetworks active on every call: W + sum of their diffs
   * (combine "sum", the default) or W + their mean. Nothing is copied; mask([]) is the core itself.
   */
  with(selection: MaskSelection, opts: { combine?: Combine } = {}): CoreView {
    if (!(selection instanceof MaskSelection)) {
      throw new ArgumentError("selection", selection, "sr.diffprune.mask(name | names)", "core.with");
    }
    const combine = opts.combine ?? "sum";
    if (!COMBINES.includes(combine)) throw new ArgumentError("combine", combine, `one of ${COMBINES.join(", ")}`, "core.with");
    for (const name of selection.names) {
      const s = this.subnetworks.get(name);
      if (!s) {
        const trained = [...this.subnetworks.keys()];
        throw new Error(
          `core.with: no subnetwork "${name}"; the trained ones are: ${trained.length ? trained.join(", ") : "(none yet: train one with sr.diffprune.attribute)"}`,
        );
      }
      if (s.coreVersion !== this.version) {
        throw new Error(
          `core.with: subnetwork "${name}" was trained for the core's weights with hash ${s.coreHash}; they have changed since (now ${this.weightsHash()}). Train it again`,
        );
      }
    }
    return new CoreView(this, selection.names, combine);
  }

  /** Register a trained subnetwork (its diffs already sit in the switches). */
  add(subnetwork: Subnetwork): void {
    if (this.subnetworks.has(subnetwork.name))
      throw new Error(`diffprune: the core already has a subnetwork "${subnetwork.name}"; remove it first`);
    this.subnetworks.set(subnetwork.name, subnetwork);
  }

  /** Take a subnetwork's diffs out of the switches and free them. */
  remove(name: string): void {
    const s = this.subnetworks.get(name);
    for (const sw of this.switches.values()) {
      sw.pieces.get(name)?.dispose();
      sw.pieces.delete(name);
    }
    if (s) this.subnetworks.delete(name);
  }

  /** SHA-256 over the core's weights and task head (names, shapes, float32 values), in hex. */
  weightsHash(): string {
    return weightsHash(new Map([...this.baseParameters(), ...this.headParameters()]));
  }

  /**
   * The share of weights that differ from the core's when `names` are active: entries non-zero in
   * any of their diffs, over the weights any of them covers (0 for none).
   */
  changedShare(names: readonly string[]): number {
    const union = new Map<string, Uint8Array>();
    for (const name of names) {
      const s = this.subnetworks.get(name);
      if (!s)
        throw new Error(
          `core.changedShare: no subnetwork "${name}"; the trained ones are: ${[...this.subnetworks.keys()].join(", ") || "(none)"}`,
        );
      for (const [w, piece] of s.diffs) {
        const d = piece.d.dataSync();
        const hit = union.get(w) ?? new Uint8Array(d.length);
        for (let i = 0; i < d.length; i++) if (d[i] !== 0) hit[i] = 1;
        union.set(w, hit);
      }
    }
    let changed = 0;
    let covered = 0;
    for (const hit of union.values()) {
      covered += hit.length;
      for (const x of hit) changed += x;
    }
    return covered ? changed / covered : 0;
  }

  /** Base parameter count: the share a subnetwork changes is relative to the weights it covers. */
  numParams(): number {
    let n = 0;
    for (const v of this.baseParameters().values()) n += v.size;
    return n;
  }

  /** Free the model, the head and every subnetwork. */
  dispose(): void {
    for (const name of [...this.subnetworks.keys()]) this.remove(name);
    this.model.dispose();
    for (const v of this.headParameters().values()) v.dispose();
  }

  toString(): string {
    const subs = [...this.subnetworks.keys()];
    return `<diffprune Core: ${this.model.config.family} ${this.numParams().toLocaleString("en-US")} weights, ${this.labels.length} labels (${this.labels.join(", ")}), pooling ${this.pooling}, subnetworks: ${subs.length ? subs.join(", ") : "none"}>`;
  }

  [DISPLAY](): MimeBundle {
    if (this.subnetworks.size === 0) return { "text/plain": this.toString() };
    const table = new Table(
      [...this.subnetworks.values()].map((s) => s.row()),
      { format: { share: (x: number) => `${(100 * x).toFixed(2)}%` } },
    );
    const bundle = table[DISPLAY]();
    return { ...bundle, "text/plain": `${this.toString()}\n${bundle["text/plain"]}` };
  }
}

/** Argmax of logits [N, L] as label names; the logits are disposed. */
export function predictLabels(logits: tf.Tensor2D, labels: readonly string[]): string[] {
  const idx = tf.tidy(() => tf.argMax(logits, 1).dataSync() as Int32Array);
  logits.dispose();
  return [...idx].map((i) => labels[i]);
}
