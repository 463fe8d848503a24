// The batches a stage trains on, drawn up front where a stage needs them fixed (teacher targets
// are computed once per batch and cached), checked against the vocabulary, labels filled in.

import type { Batch, Data } from "../train/data.js";
import { checkBatch, openSource } from "../train/data.js";

/** The first `n` batches of `data` (an array gives its first n, or all of it when shorter: fit cycles it). */
export async function takeBatches(data: Data, n: number, vocab: number, where: string): Promise<Batch[]> {
  const raw: Batch[] = [];
  if (Array.isArray(data)) raw.push(...data.slice(0, n));
  else {
    const src = await openSource(data);
    try {
      for (let i = 0; i < n; i++) raw.push(await src.next());
    } catch (e) {
      throw new Error(`${where}: ${(e as Error).message.replace(/^fit: /, "")}`);
    } finally {
      await src.close();
    }
  }
  if (raw.length === 0) throw new Error(`${where}: the data holds no batches`);
  return raw.map((b, i) => ({ ...b, ...checkBatch(b, vocab, `${where}: batch ${i}`) }));
}

/** How a plan shows a stage's data. */
export function describeData(data: Data): string {
  if (Array.isArray(data)) {
    const b = data[0];
    const shape = b && Array.isArray(b.ids) ? ` of ${b.ids.length} x ${b.ids[0]?.length ?? 0}` : "";
    return `${data.length} batch${data.length === 1 ? "" : "es"}${shape}`;
  }
  if (typeof data === "function") return "a batch function (step => batch)";
  return "an iterable of batches";
}
