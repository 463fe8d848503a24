// Readers for the bias-mitigation datasets of the DiffPrune paper, as JSONL: one JSON object per
// line holding the text, the task label and one label per protected attribute. Field names follow
// the paper's reference code (CPJKU/ModularizedDebiasing, cfg.yml):
//
//   BIOS    {"bio": text, "title": profession, "gender": ...}                 (De-Arteaga et al. 2019)
//   PAN16   {"text": tweet, "task_label": mention, "gender": ..., "age": ...} (Rangel et al. 2016)
//   FDCL18  {"tweet": text, "label": hate speech class, "dialect": ...}      (Founta et al. 2018; dialect as race)
//
// Labels may be strings or integers. The names of labels and groups come from the training file
// (sorted: numerically when all are numbers), unless given; a label in val or test that the
// training file lacks is an error. Malformed input names the file, the line and the field.

import { readFile } from "node:fs/promises";
import { isRecord } from "../io/json.js";
import { ArgumentError } from "../errors.js";
import type { Tokenizer } from "../io/tokenizer.js";
import { BIAS_SPLITS, BiasData, type BiasExample, type BiasSplit } from "./bias-data.js";

/** Where a format keeps the text, the task label and each attribute's label. */
export interface BiasFormat {
  text: string;
  label: string;
  /** attribute name -> field */
  attributes: Record<string, string>;
}

export const BIAS_FORMATS = {
  bios: { text: "bio", label: "title", attributes: { gender: "gender" } },
  pan16: { text: "text", label: "task_label", attributes: { gender: "gender", age: "age" } },
  fdcl18: { text: "tweet", label: "label", attributes: { dialect: "dialect" } },
} as const satisfies Record<string, BiasFormat>;

export type BiasFormatName = keyof typeof BIAS_FORMATS;

export type BiasFiles = Record<BiasSplit, string>;

export interface ReadBiasOptions {
  /** a known format or the fields of your own */
  format: BiasFormatName | BiasFormat;
  /** task label names in index order (default: those of the training file, sorted) */
  labels?: string[];
  /** attribute -> group names in index order (default: those of the training file, sorted) */
  groups?: Record<string, string[]>;
  /** default: a word-level tokenizer built from the training texts */
  tokenizer?: Tokenizer;
}

/** Malformed input: names the file, the line (1-based) and the field. */
export class BiasDataError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly field: string | null,
    detail: string,
  ) {
    super(`${file}:${line}: ${field === null ? "" : `field "${field}": `}${detail}`);
    this.name = "BiasDataError";
  }
}

interface Row {
  line: number;
  text: string;
  label: string;
  attributes: Record<string, string>;
}

/** A label value as a name: strings as they are, integers as their digits. */
function labelName(file: string, line: number, field: string, v: unknown): string {
  if (typeof v === "string" && v.length > 0) return v;
  if (typeof v === "number" && Number.isInteger(v)) return String(v);
  const shown = v === undefined ? "missing" : `${JSON.stringify(v)} is not a label (expected a non-empty string or an integer)`;
  throw new BiasDataError(file, line, field, shown);
}

async function readRows(file: string, format: BiasFormat): Promise<Row[]> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    throw new Error(`${file}: cannot read (${(e as Error).message})`);
  }
  const rows: Row[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === "") return;
    let obj: unknown;
    try {
      obj = JSON.parse(raw);
    } catch (e) {
      throw new BiasDataError(file, line, null, `not valid JSON (${(e as Error).message})`);
    }
    if (!isRecord(obj)) throw new BiasDataError(file, line, null, "expected a JSON object per line");
    const t = obj[format.text];
    if (typeof t !== "string")
      throw new BiasDataError(file, line, format.text, t === undefined ? "missing" : `expected a string, got ${JSON.stringify(t)}`);
    const attributes: Record<string, string> = {};
    for (const [a, f] of Object.entries(format.attributes)) attributes[a] = labelName(file, line, f, obj[f]);
    rows.push({ line, text: t, label: labelName(file, line, format.label, obj[format.label]), attributes });
  });
  if (rows.length === 0) throw new BiasDataError(file, 1, null, "no examples (the file is empty)");
  return rows;
}

function sortedNames(values: Iterable<string>): string[] {
  const names = [...new Set(values)];
  const numeric = names.every((n) => /^-?\d+$/.test(n));
  return numeric ? names.sort((a, b) => Number(a) - Number(b)) : names.sort();
}

function checkFormat(format: unknown): BiasFormat {
  if (typeof format === "string") {
    if (!Object.hasOwn(BIAS_FORMATS, format))
      throw new ArgumentError(
        "format",
        format,
        `one of ${Object.keys(BIAS_FORMATS).join(", ")}, or {text, label, attributes}`,
        "readBiasData",
      );
    return BIAS_FORMATS[format as BiasFormatName];
  }
  const f = format as BiasFormat;
  if (!isRecord(f) || typeof f.text !== "string" || typeof f.label !== "string" || !isRecord(f.attributes)) {
    throw new ArgumentError("format", format, "a format name or {text: field, label: field, attributes: {name: field}}", "readBiasData");
  }
  return f;
}

/** Read train / val / test JSONL files of one format into a BiasData. */
export async function readBiasData(files: BiasFiles, opts: ReadBiasOptions): Promise<BiasData> {
  const format = checkFormat(opts?.format);
  for (const s of BIAS_SPLITS) {
    if (typeof files?.[s] !== "string") throw new ArgumentError(`files.${s}`, files?.[s], "a JSONL file path", "readBiasData");
  }
  const rows = {} as Record<BiasSplit, Row[]>;
  for (const s of BIAS_SPLITS) rows[s] = await readRows(files[s], format);
  const labels = opts.labels ?? sortedNames(rows.train.map((r) => r.label));
  const attributes: Record<string, string[]> = {};
  for (const a of Object.keys(format.attributes)) attributes[a] = opts.groups?.[a] ?? sortedNames(rows.train.map((r) => r.attributes[a]));
  const index = (names: string[]) => new Map(names.map((n, i) => [n, i]));
  const labelIndex = index(labels);
  const groupIndex = Object.fromEntries(Object.entries(attributes).map(([a, g]) => [a, index(g)]));
  const toExample = (s: BiasSplit, r: Row): BiasExample => {
    const known = (map: Map<string, number>, field: string, v: string, what: string) => {
      const i = map.get(v);
      if (i === undefined) {
        throw new BiasDataError(files[s], r.line, field, `${JSON.stringify(v)} is not one of the ${what} (${[...map.keys()].join(", ")})`);
      }
      return i;
    };
    const from = opts.labels ? "labels given" : "labels of the training file";
    const attrs: Record<string, number> = {};
    for (const [a, f] of Object.entries(format.attributes)) {
      attrs[a] = known(groupIndex[a], f, r.attributes[a], opts.groups?.[a] ? `groups given for ${a}` : `${a} groups of the training file`);
    }
    return { text: r.text, label: known(labelIndex, format.label, r.label, from), attributes: attrs };
  };
  const name = typeof opts.format === "string" ? `${opts.format} (${files.train})` : files.train;
  return new BiasData({
    name,
    train: rows.train.map((r) => toExample("train", r)),
    val: rows.val.map((r) => toExample("val", r)),
    test: rows.test.map((r) => toExample("test", r)),
    labels,
    attributes,
    tokenizer: opts.tokenizer,
  });
}

type FormatOptions = Omit<ReadBiasOptions, "format">;

/** BIOS as JSONL: {"bio", "title", "gender"}. */
export const readBios = (files: BiasFiles, opts: FormatOptions = {}) => readBiasData(files, { ...opts, format: "bios" });
/** PAN16 as JSONL: {"text", "task_label", "gender", "age"}. */
export const readPan16 = (files: BiasFiles, opts: FormatOptions = {}) => readBiasData(files, { ...opts, format: "pan16" });
/** FDCL18 as JSONL: {"tweet", "label", "dialect"}. */
export const readFdcl18 = (files: BiasFiles, opts: FormatOptions = {}) => readBiasData(files, { ...opts, format: "fdcl18" });
