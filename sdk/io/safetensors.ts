// Reading and writing .safetensors files.
//
// readSafetensors is lazy: it reads the 8-byte length and the header, validates all of it, then
// reads only the tensors asked for, each with one positioned read of its byte range.

import { open, type FileHandle } from "node:fs/promises";
import { DTYPE_BYTES, decode, encode, isDtype, type Dtype, type EncodableArray, type TensorArray } from "./dtypes.js";
import { headerLength, parseHeader, SafetensorsError, type SafetensorsHeader } from "./safetensors-header.js";
import { withAtomicFile } from "./atomic.js";

export { SafetensorsError, type SafetensorsHeader, type SafetensorsEntry } from "./safetensors-header.js";

/** A tensor as stored: `dtype` is the stored dtype; floats decode to Float32Array. */
export interface TensorData<A = TensorArray> {
  dtype: Dtype;
  shape: number[];
  data: A;
}

export interface SafetensorsContents {
  tensors: Record<string, TensorData>;
  metadata: Record<string, string>;
}

/** Read and validate the header only. */
export async function readSafetensorsHeader(path: string): Promise<SafetensorsHeader> {
  const fh = await open(path, "r");
  try {
    return await readHeaderFrom(path, fh);
  } finally {
    await fh.close();
  }
}

async function readExactly(path: string, fh: FileHandle, length: number, position: number): Promise<Uint8Array> {
  const buf = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(buf, done, length - done, position + done);
    if (bytesRead === 0) {
      throw new SafetensorsError(path, `file ended while reading ${length} bytes (got ${done})`, undefined, position + done);
    }
    done += bytesRead;
  }
  return buf;
}

async function readHeaderFrom(path: string, fh: FileHandle): Promise<SafetensorsHeader> {
  const size = (await fh.stat()).size;
  const first8 = size >= 8 ? await readExactly(path, fh, 8, 0) : new Uint8Array(0);
  const n = headerLength(path, first8, size);
  return parseHeader(path, await readExactly(path, fh, n, 8), size);
}

/** Read tensors (all, or those in `names`) and the metadata; floats come back as Float32Array. */
export async function readSafetensors(path: string, opts: { names?: string[] } = {}): Promise<SafetensorsContents> {
  const fh = await open(path, "r");
  try {
    const header = await readHeaderFrom(path, fh);
    const byName = new Map(header.entries.map((e) => [e.name, e]));
    const names = opts.names ?? header.entries.map((e) => e.name);
    const tensors: Record<string, TensorData> = {};
    for (const name of names) {
      const e = byName.get(name);
      if (!e) throw new SafetensorsError(path, `not in the file (it holds ${header.entries.length} tensors)`, name);
      const bytes = await readExactly(path, fh, e.end - e.begin, header.dataStart + e.begin);
      tensors[name] = { dtype: e.dtype, shape: [...e.shape], data: decode(e.dtype, bytes) };
    }
    return { tensors, metadata: header.metadata };
  } finally {
    await fh.close();
  }
}

/** What writeSafetensors accepts: data is converted to `dtype` (floats round to nearest even). */
export interface TensorInput {
  dtype: Dtype;
  shape: number[];
  data: EncodableArray;
}

/** Header JSON (space-padded to a multiple of 8 bytes) and the data layout, in the given order. */
export function encodeHeader(tensors: Record<string, { dtype: Dtype; shape: number[] }>, metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    const bytes = t.shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[t.dtype];
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let text = JSON.stringify(header);
  text += " ".repeat((8 - (Buffer.byteLength(text) % 8)) % 8);
  return new TextEncoder().encode(text);
}

function checkInput(path: string, name: string, t: TensorInput): void {
  if (!isDtype(t.dtype)) throw new SafetensorsError(path, `unknown dtype ${JSON.stringify(t.dtype)}`, name);
  if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new SafetensorsError(path, `shape ${JSON.stringify(t.shape)} is not a list of non-negative integers`, name);
  }
  const numel = t.shape.reduce((a, b) => a * b, 1);
  if (t.data.length !== numel) {
    throw new SafetensorsError(path, `shape ${JSON.stringify(t.shape)} needs ${numel} values, data has ${t.data.length}`, name);
  }
}

/** Write a .safetensors file atomically (temp file, then rename), streaming tensor by tensor. */
export async function writeSafetensors(
  path: string,
  tensors: Record<string, TensorInput>,
  metadata?: Record<string, string>,
): Promise<void> {
  for (const [name, t] of Object.entries(tensors)) checkInput(path, name, t);
  const header = encodeHeader(tensors, metadata);
  const len = new Uint8Array(8);
  new DataView(len.buffer).setBigUint64(0, BigInt(header.byteLength), true);
  await withAtomicFile(path, async (fh) => {
    await fh.write(len);
    await fh.write(header);
    for (const [name, t] of Object.entries(tensors)) {
      let bytes: Uint8Array;
      try {
        bytes = encode(t.dtype, t.data);
      } catch (e) {
        throw new SafetensorsError(path, `cannot encode as ${t.dtype} (${(e as Error).message})`, name);
      }
      if (bytes.byteLength) await fh.write(bytes);
    }
  });
}
