// A Hugging Face weights directory: model.safetensors, or shards listed by
// model.safetensors.index.json ({"metadata": {"total_size"}, "weight_map": {name: file}}).

import { rm } from "node:fs/promises";
import { join } from "node:path";
import { ArgumentError } from "../errors.js";
import { DTYPE_BYTES, type Dtype } from "./dtypes.js";
import { readSafetensors, writeSafetensors, type TensorData, type TensorInput } from "./safetensors.js";
import { writeJsonAtomic } from "./atomic.js";
import { readJsonIfPresent } from "./json.js";
import { exists } from "./paths.js";

export const SINGLE_FILE = "model.safetensors";
export const INDEX_FILE = "model.safetensors.index.json";

/** name -> shard file, from the index (undefined when the directory has no index). */
export async function readIndex(dir: string): Promise<Map<string, string> | undefined> {
  const path = join(dir, INDEX_FILE);
  const json = await readJsonIfPresent(path);
  if (json === undefined) return undefined;
  const map = (json as { weight_map?: unknown })?.weight_map;
  if (typeof map !== "object" || map === null || Array.isArray(map)) {
    throw new Error(`${path}: weight_map must be an object of tensor name -> shard file`);
  }
  const out = new Map<string, string>();
  for (const [name, file] of Object.entries(map)) {
    if (typeof file !== "string" || !/^[\w.-]+\.safetensors$/.test(file) || file.startsWith(".")) {
      throw new ArgumentError(`weight_map["${name}"]`, file, "a .safetensors file name in the same directory", path);
    }
    out.set(name, file);
  }
  return out;
}

/** Read every tensor of a weights directory (single file preferred, else the sharded index). */
export async function readWeights(dir: string): Promise<Map<string, TensorData>> {
  const single = join(dir, SINGLE_FILE);
  const index = await readIndex(dir);
  const out = new Map<string, TensorData>();
  if (!index || (await exists(single))) {
    const { tensors } = await readSafetensors(single).catch((e: NodeJS.ErrnoException) => {
      if (e.code === "ENOENT") throw new Error(`${dir}: no ${SINGLE_FILE} and no ${INDEX_FILE}`);
      throw e;
    });
    for (const [k, v] of Object.entries(tensors)) out.set(k, v);
    return out;
  }
  const byFile = new Map<string, string[]>();
  for (const [name, file] of index) byFile.set(file, [...(byFile.get(file) ?? []), name]);
  for (const [file, names] of byFile) {
    const { tensors } = await readSafetensors(join(dir, file), { names });
    for (const [k, v] of Object.entries(tensors)) out.set(k, v);
  }
  return out;
}

function byteSize(t: { dtype: Dtype; shape: number[] }): number {
  return t.shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[t.dtype];
}

/** Greedy split in order: a new shard starts when the next tensor would pass maxShardBytes. */
export function planShards(tensors: Record<string, { dtype: Dtype; shape: number[] }>, maxShardBytes: number): string[][] {
  const shards: string[][] = [];
  let cur: string[] = [];
  let bytes = 0;
  for (const [name, t] of Object.entries(tensors)) {
    const b = byteSize(t);
    if (cur.length && bytes + b > maxShardBytes) {
      shards.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(name);
    bytes += b;
  }
  if (cur.length || !shards.length) shards.push(cur);
  return shards;
}

export interface WriteWeightsOptions {
  /** split into model-0000i-of-0000n.safetensors shards of at most this many bytes (one tensor may exceed it) */
  maxShardBytes?: number;
  metadata?: Record<string, string>;
}

/** Write weights into `dir` (single file or shards + index), removing stale files of the other layout. */
export async function writeWeights(dir: string, tensors: Record<string, TensorInput>, opts: WriteWeightsOptions = {}): Promise<string[]> {
  const metadata = { format: "pt", ...opts.metadata };
  const previous = await readIndex(dir).catch(() => undefined);
  const total = Object.values(tensors).reduce((a, t) => a + byteSize(t), 0);
  const max = opts.maxShardBytes;
  if (max !== undefined && !(Number.isFinite(max) && max > 0)) {
    throw new ArgumentError("maxShardBytes", max, "a positive number of bytes", "save");
  }
  const written: string[] = [];
  if (max === undefined || total <= max) {
    await writeSafetensors(join(dir, SINGLE_FILE), tensors, metadata);
    written.push(SINGLE_FILE);
    await rm(join(dir, INDEX_FILE), { force: true });
  } else {
    const shards = planShards(tensors, max);
    const n = shards.length;
    const weightMap: Record<string, string> = {};
    const pad = (i: number) => String(i).padStart(5, "0");
    for (let i = 0; i < n; i++) {
      const file = `model-${pad(i + 1)}-of-${pad(n)}.safetensors`;
      const part: Record<string, TensorInput> = {};
      for (const name of shards[i]) {
        part[name] = tensors[name];
        weightMap[name] = file;
      }
      await writeSafetensors(join(dir, file), part, metadata);
      written.push(file);
    }
    await writeJsonAtomic(join(dir, INDEX_FILE), { metadata: { total_size: total }, weight_map: weightMap });
    written.push(INDEX_FILE);
    await rm(join(dir, SINGLE_FILE), { force: true });
  }
  for (const stale of new Set(previous?.values() ?? [])) {
    if (!written.includes(stale)) await rm(join(dir, stale), { force: true });
  }
  return written;
}
