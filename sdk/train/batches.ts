// Random windows over token-id arrays: batch i is a pure function of (seed, i), so a resumed run
// draws the same batches. Iterable too (batch 0, 1, 2, ...).

import { ArgumentError } from "../errors.js";
import { mulberry32, subSeed } from "../nn/random.js";
import type { Batch } from "./data.js";

export interface BatchesOptions {
  batchSize: number;
  seqLen: number;
  /** default 0 */
  seed?: number;
}

export type BatchStream = ((index: number) => Batch) & Iterable<Batch>;

function positiveInt(field: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1) throw new ArgumentError(field, v, "an integer >= 1", "batches");
  return v;
}

export function streamOf(at: (index: number) => Batch): BatchStream {
  const f = at as BatchStream;
  (f as unknown as Iterable<Batch>)[Symbol.iterator] = function* () {
    for (let i = 0; ; i++) yield at(i);
  };
  return f;
}

/** tokens: one long array of ids, or several documents; windows never cross a document. */
export function batches(tokens: number[] | number[][], opts: BatchesOptions): BatchStream {
  const B = positiveInt("batchSize", opts.batchSize);
  const T = positiveInt("seqLen", opts.seqLen);
  const seed = opts.seed ?? 0;
  const docs = (Array.isArray(tokens[0]) ? tokens : [tokens]) as number[][];
  const usable = docs.filter((d) => d.length >= T);
  if (usable.length === 0)
    throw new Error(`batches: seqLen = ${T}: longer than every token array (longest ${Math.max(...docs.map((d) => d.length))})`);
  const weights = usable.map((d) => d.length - T + 1);
  const total = weights.reduce((a, b) => a + b, 0);
  return streamOf((index) => {
    const rng = mulberry32(subSeed(seed, `batch:${index}`));
    const ids: number[][] = [];
    for (let b = 0; b < B; b++) {
      let r = Math.floor(rng() * total);
      let d = 0;
      while (r >= weights[d]) r -= weights[d++];
      ids.push(usable[d].slice(r, r + T));
    }
    return { ids };
  });
}
