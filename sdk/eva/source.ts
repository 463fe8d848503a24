// Batches for collection, as fit takes them (sdk/train's Batch and Data), read until the layers
// converge: an array is cycled (PEFT cycles its dataloader), a function is called with 0, 1, 2, ...,
// an (async) iterable is read until it ends.

import type { Batch, Data } from "../train/data.js";

export interface BatchSource {
  /** the next batch, or null when an iterable has ended */
  next(): Promise<Batch | null>;
  close(): Promise<void>;
}

export function batchSource(data: Data, where: string): BatchSource {
  if (Array.isArray(data)) {
    if (data.length === 0) throw new Error(`${where}: data is an empty array`);
    let i = 0;
    return { next: async () => data[i++ % data.length], close: async () => undefined };
  }
  if (typeof data === "function") {
    let i = 0;
    return { next: async () => data(i++), close: async () => undefined };
  }
  if (data && typeof data === "object" && (Symbol.asyncIterator in data || Symbol.iterator in data)) {
    const it: Iterator<Batch> | AsyncIterator<Batch> =
      Symbol.asyncIterator in data ? (data as AsyncIterable<Batch>)[Symbol.asyncIterator]() : (data as Iterable<Batch>)[Symbol.iterator]();
    return {
      next: async () => {
        const r = await it.next();
        return r.done ? null : r.value;
      },
      close: async () => {
        await it.return?.();
      },
    };
  }
  throw new Error(`${where}: data must be an array of batches, a function (index) => batch, or an (async) iterable of batches`);
}
