// Batches and where they come from: an array, a function of the step, or a (async) iterable.
// A source knows its position (micro-batches consumed) so that a resumed run continues the data.

import { IGNORE_INDEX, checkLabels } from "./loss.js";

export interface Batch {
  /** token ids [B, T] */
  ids: number[][];
  /** targets [B, T] (default: ids, with masked positions set to -100); shifted inside the loss */
  labels?: number[][];
  /** [B, T] 1 = real token, 0 = padding */
  mask?: number[][];
}

export type BatchFn = (index: number) => Batch | Promise<Batch>;
export type Data = Batch[] | BatchFn | Iterable<Batch> | AsyncIterable<Batch>;

export interface Source {
  /** the next micro-batch */
  next(): Promise<Batch>;
  /** micro-batches consumed so far */
  position: number;
  close(): Promise<void>;
}

/** A source positioned after `skip` micro-batches. */
export async function openSource(data: Data, skip = 0): Promise<Source> {
  if (Array.isArray(data)) {
    if (data.length === 0) throw new Error("fit: data is an empty array");
    const src = { position: skip, next: async () => data[src.position++ % data.length], close: async () => undefined };
    return src;
  }
  if (typeof data === "function") {
    const src = { position: skip, next: async () => data(src.position++), close: async () => undefined };
    return src;
  }
  const it: Iterator<Batch> | AsyncIterator<Batch> =
    Symbol.asyncIterator in (data as object)
      ? (data as AsyncIterable<Batch>)[Symbol.asyncIterator]()
      : Symbol.iterator in (data as object)
        ? (data as Iterable<Batch>)[Symbol.iterator]()
        : (() => {
            throw new Error("fit: data must be an array, a function (step) => batch, or an (async) iterable of batches");
          })();
  const src = {
    position: 0,
    next: async () => {
      const r = await it.next();
      if (r.done) throw new Error(`fit: data ran out after ${src.position} batches`);
      src.position++;
      return r.value;
    },
    close: async () => {
      await it.return?.();
    },
  };
  while (src.position < skip) await src.next();
  return src;
}

/** Check a batch and fill its labels: ids where mask is 1 (or absent), -100 elsewhere. */
export function checkBatch(b: Batch, vocab: number, where: string): Required<Pick<Batch, "ids" | "labels">> {
  if (!b || !Array.isArray(b.ids) || b.ids.length === 0 || !Array.isArray(b.ids[0]))
    throw new Error(`${where}: expected {ids: number[][]}`);
  const T = b.ids[0].length;
  b.ids.forEach((r, i) => {
    if (r.length !== T) throw new Error(`${where}: ids row ${i} has ${r.length} tokens, row 0 has ${T}`);
    for (const id of r)
      if (!Number.isInteger(id) || id < 0 || id >= vocab)
        throw new Error(`${where}: ids[${i}] has ${id}: expected integers in [0, ${vocab - 1}]`);
  });
  const labels = b.labels ?? b.ids.map((r, i) => r.map((id, t) => (b.mask && b.mask[i][t] === 0 ? IGNORE_INDEX : id)));
  if (labels.length !== b.ids.length || labels.some((r) => r.length !== T))
    throw new Error(`${where}: labels must have the shape of ids [${b.ids.length}, ${T}]`);
  checkLabels(labels, vocab, where);
  return { ids: b.ids, labels };
}
