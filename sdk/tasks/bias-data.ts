// A text classification dataset with protected attributes (BIOS, PAN16, FDCL18, or the generated
// biographies): texts, a task label and one group label per attribute, in train / val / test splits,
// with the tokenizer that turns the texts into ids. Labels are indices into `labels` and into each
// attribute's group names.

import { ArgumentError } from "../errors.js";
import type { Tokenizer } from "../io/tokenizer.js";
import { DISPLAY, type MimeBundle } from "../viz/mime.js";
import { Table } from "../viz/table.js";
import { CLS_TOKEN, PAD_TOKEN, wordTokenizer } from "./bias-tokenizer.js";

export interface BiasExample {
  text: string;
  /** index into BiasData.labels */
  label: number;
  /** attribute name -> index into BiasData.attributes[name] */
  attributes: Record<string, number>;
}

export const BIAS_SPLITS = ["train", "val", "test"] as const;
export type BiasSplit = (typeof BIAS_SPLITS)[number];

export interface BiasDataInit {
  /** what the data is ("bios (generated)", a file name) */
  name: string;
  train: BiasExample[];
  val: BiasExample[];
  test: BiasExample[];
  /** task label names, by index */
  labels: string[];
  /** attribute name -> group names, by index */
  attributes: Record<string, string[]>;
  /** default: a word-level tokenizer built from the training texts */
  tokenizer?: Tokenizer;
}

/** Token ids of a batch: right-padded with [PAD], 1 = real token in `mask`. */
export interface EncodedBatch {
  ids: number[][];
  mask: number[][];
}

export class BiasData {
  readonly name: string;
  readonly train: readonly BiasExample[];
  readonly val: readonly BiasExample[];
  readonly test: readonly BiasExample[];
  readonly labels: readonly string[];
  readonly attributes: Readonly<Record<string, readonly string[]>>;
  readonly tokenizer: Tokenizer;
  private readonly padId: number;
  private readonly clsId: number;
  private readonly cache = new WeakMap<BiasExample, number[]>();

  constructor(init: BiasDataInit) {
    this.name = init.name;
    this.labels = [...init.labels];
    this.attributes = Object.fromEntries(Object.entries(init.attributes).map(([k, v]) => [k, [...v]]));
    if (this.labels.length < 2) throw new ArgumentError("labels", init.labels, "at least two task labels", `BiasData(${init.name})`);
    for (const [a, groups] of Object.entries(this.attributes)) {
      if (groups.length < 2) throw new ArgumentError(`attributes.${a}`, groups, "at least two groups", `BiasData(${init.name})`);
    }
    for (const split of BIAS_SPLITS) {
      const xs = init[split];
      if (!Array.isArray(xs)) throw new ArgumentError(split, xs, "an array of examples", `BiasData(${init.name})`);
      for (const [i, e] of xs.entries()) this.check(e, `${split}[${i}]`);
    }
    if (init.train.length === 0) throw new ArgumentError("train", init.train, "at least one example", `BiasData(${init.name})`);
    this.train = init.train;
    this.val = init.val;
    this.test = init.test;
    this.tokenizer = init.tokenizer ?? wordTokenizer(init.train.map((e) => e.text));
    const pad = this.tokenizer.tokenToId(PAD_TOKEN);
    const cls = this.tokenizer.tokenToId(CLS_TOKEN);
    if (pad === undefined || cls === undefined) {
      throw new Error(
        `BiasData(${init.name}): the tokenizer has no ${pad === undefined ? PAD_TOKEN : CLS_TOKEN} token (see sr.tasks.wordTokenizer)`,
      );
    }
    this.padId = pad;
    this.clsId = cls;
  }

  private check(e: BiasExample, where: string): void {
    const ctx = `BiasData(${this.name})`;
    if (typeof e?.text !== "string") throw new ArgumentError(`${where}.text`, e?.text, "a string", ctx);
    if (!Number.isInteger(e.label) || e.label < 0 || e.label >= this.labels.length) {
      throw new ArgumentError(`${where}.label`, e.label, `an integer in [0, ${this.labels.length - 1}]`, ctx);
    }
    for (const [a, groups] of Object.entries(this.attributes)) {
      const g = e.attributes?.[a];
      if (!Number.isInteger(g) || g < 0 || g >= groups.length) {
        throw new ArgumentError(`${where}.attributes.${a}`, g, `an integer in [0, ${groups.length - 1}]`, ctx);
      }
    }
  }

  /** The attribute names, in order. */
  get attributeNames(): string[] {
    return Object.keys(this.attributes);
  }

  /** An attribute's group names; an unknown name is an error listing the known ones. */
  groups(attribute: string): readonly string[] {
    const g = this.attributes[attribute];
    if (!g)
      throw new ArgumentError("attribute", attribute, `one of ${this.attributeNames.join(", ") || "(none)"}`, `BiasData(${this.name})`);
    return g;
  }

  /** Ids of one text: its words, cut to maxLength - 1, then [CLS]. */
  ids(e: BiasExample, maxLength: number): number[] {
    let ids = this.cache.get(e);
    if (!ids) {
      ids = this.tokenizer.encode(e.text, { addSpecialTokens: false });
      this.cache.set(e, ids);
    }
    return [...ids.slice(0, Math.max(0, maxLength - 1)), this.clsId];
  }

  /** A batch of ids, right-padded to its longest row (at most maxLength). */
  encode(examples: readonly BiasExample[], maxLength: number): EncodedBatch {
    if (!Number.isInteger(maxLength) || maxLength < 1)
      throw new ArgumentError("maxLength", maxLength, "an integer >= 1", "BiasData.encode");
    if (examples.length === 0) throw new ArgumentError("examples", examples, "at least one example", "BiasData.encode");
    const rows = examples.map((e) => this.ids(e, maxLength));
    const T = Math.max(...rows.map((r) => r.length));
    return {
      ids: rows.map((r) => [...r, ...Array<number>(T - r.length).fill(this.padId)]),
      mask: rows.map((r) => [...Array<number>(r.length).fill(1), ...Array<number>(T - r.length).fill(0)]),
    };
  }

  /** Per split: size, the majority task label's share, and each attribute's majority group share. */
  summary(): Table {
    const rows = BIAS_SPLITS.map((split) => {
      const xs = this[split];
      const row: Record<string, unknown> = { split, n: xs.length, "majority label": majorityShare(xs.map((e) => e.label)) };
      for (const a of this.attributeNames) row[`majority ${a}`] = majorityShare(xs.map((e) => e.attributes[a]));
      return row;
    });
    const pct = (x: number) => (Number.isNaN(x) ? "-" : `${(100 * x).toFixed(1)}%`);
    const format = Object.fromEntries(
      Object.keys(rows[0])
        .filter((k) => k.startsWith("majority"))
        .map((k) => [k, pct]),
    );
    return new Table(rows, { format });
  }

  toString(): string {
    const attrs = Object.entries(this.attributes).map(([a, g]) => `${a} (${g.join("/")})`);
    return `<BiasData ${this.name}: ${this.train.length}/${this.val.length}/${this.test.length} examples, ${this.labels.length} labels, attributes ${attrs.join(", ")}, ${this.tokenizer.vocabSize} tokens>`;
  }

  [DISPLAY](): MimeBundle {
    const table = this.summary()[DISPLAY]();
    return { ...table, "text/plain": `${this.toString()}\n${table["text/plain"]}` };
  }
}

/** The share of the most frequent value (NaN for none). */
export function majorityShare(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const counts = new Map<number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return Math.max(...counts.values()) / values.length;
}
