// The safetensors header: parse and validate, without touching the data section.
//
//   [8 bytes: header length N, little-endian u64][N bytes: JSON header][data section]
//   header = {"__metadata__"?: {str: str}, name: {dtype, shape, data_offsets: [begin, end]}, ...}
//
// Offsets are relative to the data section. Every check fails with a SafetensorsError whose
// message names the file, and the tensor and byte offset where one is involved.

import { DTYPE_BYTES, DTYPES, isDtype, type Dtype } from "./dtypes.js";
import { isRecord } from "./json.js";

/** The largest header accepted (the Rust reader's limit). */
export const MAX_HEADER_BYTES = 100_000_000;

export interface SafetensorsEntry {
  name: string;
  dtype: Dtype;
  shape: number[];
  /** [begin, end) relative to the data section */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  file: string;
  entries: SafetensorsEntry[];
  metadata: Record<string, string>;
  /** absolute file offset of the data section: 8 + header length */
  dataStart: number;
  /** byte length of the data section */
  dataBytes: number;
}

export class SafetensorsError extends Error {
  constructor(
    readonly file: string,
    detail: string,
    readonly tensor?: string,
    readonly offset?: number,
  ) {
    const where = [tensor !== undefined ? `tensor "${tensor}"` : "", offset !== undefined ? `offset ${offset}` : ""]
      .filter(Boolean)
      .join(" at ");
    super(`${file}: ${where ? `${where}: ` : ""}${detail}`);
    this.name = "SafetensorsError";
  }
}

/** Header length from the first 8 bytes, checked against the file size. */
export function headerLength(file: string, first8: Uint8Array, fileSize: number): number {
  if (fileSize < 8 || first8.byteLength < 8) {
    throw new SafetensorsError(file, `truncated: ${fileSize} bytes, the header length alone needs 8`, undefined, 0);
  }
  const n = new DataView(first8.buffer, first8.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) {
    throw new SafetensorsError(file, `header length ${n} exceeds the limit of ${MAX_HEADER_BYTES} bytes`, undefined, 0);
  }
  if (8n + n > BigInt(fileSize)) {
    throw new SafetensorsError(file, `header length ${n} runs past the end of the file (${fileSize} bytes)`, undefined, 0);
  }
  return Number(n);
}

function isCount(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}

/** Parse and validate the JSON header bytes; `fileSize` bounds the data section. */
export function parseHeader(file: string, headerBytes: Uint8Array, fileSize: number): SafetensorsHeader {
  const dataStart = 8 + headerBytes.byteLength;
  const dataBytes = fileSize - dataStart;
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(headerBytes));
  } catch (e) {
    throw new SafetensorsError(file, `header is not valid UTF-8 JSON (${(e as Error).message})`, undefined, 8);
  }
  if (!isRecord(json)) throw new SafetensorsError(file, "header is not a JSON object", undefined, 8);

  let metadata: Record<string, string> = {};
  const entries: SafetensorsEntry[] = [];
  for (const [name, v] of Object.entries(json)) {
    if (name === "__metadata__") {
      if (!isRecord(v) || !Object.values(v).every((s) => typeof s === "string")) {
        throw new SafetensorsError(file, "__metadata__ must be an object of strings", undefined, 8);
      }
      metadata = v as Record<string, string>;
      continue;
    }
    entries.push(parseEntry(file, name, v, dataStart, dataBytes));
  }
  checkLayout(file, entries, dataStart, dataBytes);
  return { file, entries, metadata, dataStart, dataBytes };
}

function parseEntry(file: string, name: string, v: unknown, dataStart: number, dataBytes: number): SafetensorsEntry {
  const fail = (detail: string, offset?: number): never => {
    throw new SafetensorsError(file, detail, name, offset);
  };
  if (!isRecord(v)) return fail("entry is not an object");
  const { dtype, shape, data_offsets: offsets } = v;
  if (!isDtype(dtype)) return fail(`unknown dtype ${JSON.stringify(dtype)} (known: ${DTYPES.join(", ")})`);
  if (!Array.isArray(shape) || !shape.every(isCount)) {
    return fail(`shape ${JSON.stringify(shape)} is not a list of non-negative integers`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
    return fail(`data_offsets ${JSON.stringify(offsets)} is not [begin, end] of non-negative integers`);
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end) return fail(`data_offsets [${begin}, ${end}]: begin after end`, dataStart + begin);
  if (end > dataBytes) {
    return fail(`data_offsets [${begin}, ${end}] end outside the data section (${dataBytes} bytes)`, dataStart + begin);
  }
  let numel = 1;
  for (const d of shape as number[]) {
    numel *= d;
    if (!Number.isSafeInteger(numel)) return fail(`shape ${JSON.stringify(shape)} has too many elements`);
  }
  const want = numel * DTYPE_BYTES[dtype];
  if (end - begin !== want) {
    return fail(
      `shape ${JSON.stringify(shape)} of ${dtype} needs ${want} bytes, data_offsets [${begin}, ${end}] hold ${end - begin}`,
      dataStart + begin,
    );
  }
  return { name, dtype, shape: shape as number[], begin, end };
}

/** Tensors must tile the data section exactly: no overlaps, no holes, no trailing bytes. */
function checkLayout(file: string, entries: SafetensorsEntry[], dataStart: number, dataBytes: number): void {
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  let prev: SafetensorsEntry | null = null;
  for (const e of sorted) {
    if (e.begin < cursor) {
      throw new SafetensorsError(
        file,
        `overlaps tensor "${prev?.name}" (which ends at data offset ${cursor})`,
        e.name,
        dataStart + e.begin,
      );
    }
    if (e.begin > cursor) {
      throw new SafetensorsError(
        file,
        `${e.begin - cursor} unindexed bytes before this tensor (a hole in the data section)`,
        e.name,
        dataStart + cursor,
      );
    }
    cursor = e.end;
    prev = e;
  }
  if (cursor !== dataBytes) {
    throw new SafetensorsError(file, `${dataBytes - cursor} trailing bytes after the last tensor`, undefined, dataStart + cursor);
  }
}
