// Checking and shaping the inputs of logits() and generate(): id rows, attention masks, labels, positions.

import * as tf from "@tensorflow/tfjs-core";
import { ArgumentError } from "../errors.js";

export type IntRows = number[][] | tf.Tensor2D;

/** Labels equal to this are ignored by losses (the Hugging Face convention). */
const IGNORED_LABEL = -100;

function rowsOf(x: IntRows, what: string): number[][] {
  const rows = x instanceof tf.Tensor ? (x.arraySync() as number[][]) : x;
  if (!Array.isArray(rows) || rows.length === 0 || !rows.every(Array.isArray)) {
    throw new ArgumentError(what, x instanceof tf.Tensor ? `a ${x.rank}-D tensor` : x, "a non-empty number[][] or a 2-D tensor");
  }
  return rows;
}

function sameShape(rows: number[][], B: number, T: number, what: string): void {
  if (rows.length !== B || rows.some((r) => r.length !== T)) {
    throw new ArgumentError(`${what}.shape`, [rows.length, rows.find((r) => r.length !== T)?.length ?? T], `[${B}, ${T}] like the ids`);
  }
}

function eachValue(rows: number[][], what: string, ok: (v: number) => boolean, expected: string): void {
  rows.forEach((r, b) => {
    r.forEach((v, t) => {
      if (!ok(v)) throw new ArgumentError(`${what}[${b}][${t}]`, v, expected);
    });
  });
}

/** Token ids [B, T]: a rectangular number[][] or 2-D tensor of integers in [0, vocab). */
export function idRows(x: IntRows, vocab: number, what = "ids"): number[][] {
  const rows = rowsOf(x, what);
  const T = rows[0].length;
  if (T === 0) throw new Error(`${what}: rows are empty`);
  rows.forEach((r, b) => {
    if (r.length !== T) throw new Error(`${what}: row ${b} has ${r.length} tokens, row 0 has ${T} (rows must have equal length)`);
  });
  eachValue(rows, what, (id) => Number.isInteger(id) && id >= 0 && id < vocab, `an integer in [0, ${vocab - 1}]`);
  return rows;
}

/** Attention mask [B, T] of 0/1 matching the ids. */
export function maskRows(x: IntRows, B: number, T: number, what = "attentionMask"): number[][] {
  const rows = rowsOf(x, what);
  sameShape(rows, B, T, what);
  eachValue(rows, what, (m) => m === 0 || m === 1, "0 or 1");
  return rows;
}

/** Labels [B, T] matching the ids: token ids, or -100 where a position is ignored. */
export function labelRows(x: IntRows, B: number, T: number, vocab: number, what = "labels"): number[][] {
  const rows = rowsOf(x, what);
  sameShape(rows, B, T, what);
  eachValue(
    rows,
    what,
    (l) => l === IGNORED_LABEL || (Number.isInteger(l) && l >= 0 && l < vocab),
    `an integer in [0, ${vocab - 1}] or -100`,
  );
  return rows;
}

/** Positions [B, T] of non-negative integers matching the ids. */
export function positionRows(x: IntRows, B: number, T: number, what = "positionIds"): number[][] {
  const rows = rowsOf(x, what);
  sameShape(rows, B, T, what);
  eachValue(rows, what, (p) => Number.isInteger(p) && p >= 0, "an integer >= 0");
  return rows;
}

/** Positions that skip padding, as Hugging Face generate prepares them: cumsum(mask) - 1, padding at 1. */
export function positionsFromMask(mask: number[][]): number[][] {
  return mask.map((r) => {
    let n = 0;
    return r.map((m) => (m ? n++ : 1));
  });
}

export function arangeRows(B: number, T: number, start = 0): number[][] {
  return Array.from({ length: B }, () => Array.from({ length: T }, (_, t) => start + t));
}

export function hasPadding(mask: number[][] | null): boolean {
  return !!mask && mask.some((r) => r.some((m) => m === 0));
}
