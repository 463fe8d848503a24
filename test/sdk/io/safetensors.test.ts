import { test } from "node:test";
import assert from "node:assert/strict";
import { readdir, writeFile, readFile } from "node:fs/promises";
import { join } from "node:path";
import { readSafetensors, readSafetensorsHeader, writeSafetensors, SafetensorsError } from "../../../sdk/io/safetensors.js";
import { fixtureDir, tempDir } from "../models/helpers.js";

/** Raw safetensors bytes from a header object and a data section. */
export function rawFile(header: unknown, data: Uint8Array | number = 0, headerText?: string): Uint8Array {
  const text = new TextEncoder().encode(headerText ?? JSON.stringify(header));
  const body = typeof data === "number" ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + text.length + body.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(text.length), true);
  out.set(text, 8);
  out.set(body, 8 + text.length);
  return out;
}

test("write then read: every dtype, scalars, empty tensors, metadata", async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, "a.safetensors");
  await writeSafetensors(
    path,
    {
      w: { dtype: "F32", shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) },
      h: { dtype: "F16", shape: [2], data: [0.5, -1] },
      b: { dtype: "BF16", shape: [1, 2], data: [2, 3] },
      ids: { dtype: "I64", shape: [3], data: BigInt64Array.from([1n, 2n, 3n]) },
      i: { dtype: "I32", shape: [], data: [7] },
      empty: { dtype: "F32", shape: [0, 4], data: [] },
      u: { dtype: "U8", shape: [3], data: [1, 2, 255] },
    },
    { format: "pt" },
  );
  const header = await readSafetensorsHeader(path);
  assert.equal(header.dataStart % 8, 0, "data section is 8-byte aligned");
  const { tensors, metadata } = await readSafetensors(path);
  assert.deepEqual(metadata, { format: "pt" });
  assert.deepEqual(tensors.w.shape, [2, 3]);
  assert.deepEqual(Array.from(tensors.w.data as Float32Array), [1, 2, 3, 4, 5, 6]);
  assert.equal(tensors.h.dtype, "F16");
  assert.deepEqual(Array.from(tensors.h.data as Float32Array), [0.5, -1]);
  assert.deepEqual(Array.from(tensors.b.data as Float32Array), [2, 3]);
  assert.deepEqual(tensors.ids.data, BigInt64Array.from([1n, 2n, 3n]));
  assert.deepEqual(tensors.i.shape, []);
  assert.deepEqual(Array.from(tensors.i.data as Int32Array), [7]);
  assert.equal(tensors.empty.data.length, 0);
  assert.deepEqual(Array.from(tensors.u.data as Uint8Array), [1, 2, 255]);
  assert.deepEqual((await readdir(dir)).sort(), ["a.safetensors"], "no temp files left");
});

test("lazy read: only the named tensors; an unknown name is an error naming file and tensor", async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, "b.safetensors");
  await writeSafetensors(path, {
    a: { dtype: "F32", shape: [2], data: [1, 2] },
    b: { dtype: "F32", shape: [2], data: [3, 4] },
  });
  const { tensors } = await readSafetensors(path, { names: ["b"] });
  assert.deepEqual(Object.keys(tensors), ["b"]);
  assert.deepEqual(Array.from(tensors.b.data as Float32Array), [3, 4]);
  await assert.rejects(readSafetensors(path, { names: ["zz"] }), (e: Error) => e.message.includes(path) && e.message.includes('"zz"'));
});

test("reads the Python-written reference files (I64 ids, F32, F16, BF16)", async () => {
  const { tensors } = await readSafetensors(join(fixtureDir("qwen2"), "reference.safetensors"), { names: ["input_ids", "loss"] });
  assert.equal(tensors.input_ids.dtype, "I64");
  assert.deepEqual(tensors.input_ids.shape, [2, 8]);
  assert.deepEqual(tensors.loss.shape, []);
  const f16 = await readSafetensorsHeader(join(fixtureDir("qwen2"), "model.safetensors"));
  assert.ok(f16.entries.every((e) => e.dtype === "F16"));
  const bf16 = await readSafetensors(join(fixtureDir("olmo2"), "model.safetensors"), { names: ["model.norm.weight"] });
  assert.equal(bf16.tensors["model.norm.weight"].dtype, "BF16");
  assert.ok((bf16.tensors["model.norm.weight"].data as Float32Array).every((v) => v > 0.5 && v < 1.5));
});

const entry = (dtype: string, shape: number[], begin: number, end: number) => ({ dtype, shape, data_offsets: [begin, end] });

const BAD: [string, () => Uint8Array, RegExp][] = [
  ["truncated before the length", () => new Uint8Array(5), /truncated: 5 bytes/],
  [
    "header length past the end",
    () => {
      const f = rawFile({ a: entry("F32", [1], 0, 4) }, 4);
      new DataView(f.buffer).setBigUint64(0, 1000n, true);
      return f;
    },
    /header length 1000 runs past the end/,
  ],
  ["header not JSON", () => rawFile(null, 0, "{not json"), /not valid UTF-8 JSON/],
  ["header not an object", () => rawFile([1, 2]), /not a JSON object/],
  [
    "offsets outside the data section",
    () => rawFile({ a: entry("F32", [2], 0, 8) }, 4),
    /tensor "a" at offset \d+: .*outside the data section/,
  ],
  [
    "overlapping tensors",
    () => rawFile({ a: entry("F32", [2], 0, 8), b: entry("F32", [1], 4, 8) }, 8),
    /tensor "b" at offset \d+: overlaps tensor "a"/,
  ],
  ["unknown dtype", () => rawFile({ a: entry("F8_E4M3", [1], 0, 1) }, 1), /tensor "a": unknown dtype "F8_E4M3"/],
  [
    "shape/byte-count mismatch",
    () => rawFile({ a: entry("F32", [3], 0, 8) }, 8),
    /tensor "a" at offset \d+: shape \[3\] of F32 needs 12 bytes/,
  ],
  ["a hole in the data", () => rawFile({ a: entry("F32", [1], 4, 8) }, 8), /tensor "a" at offset \d+: 4 unindexed bytes/],
  ["trailing bytes", () => rawFile({ a: entry("F32", [1], 0, 4) }, 8), /4 trailing bytes/],
  ["begin after end", () => rawFile({ a: entry("F32", [0], 4, 0) }, 4), /begin after end/],
  ["negative shape", () => rawFile({ a: entry("F32", [-1], 0, 0) }), /not a list of non-negative integers/],
  ["metadata not strings", () => rawFile({ __metadata__: { a: 1 } }), /__metadata__ must be an object of strings/],
];

for (const [name, make, pattern] of BAD) {
  test(`rejects ${name}, naming the file`, async (t) => {
    const dir = await tempDir(t);
    const path = join(dir, "bad.safetensors");
    await writeFile(path, make());
    await assert.rejects(readSafetensors(path), (e: Error) => {
      assert.ok(e instanceof SafetensorsError, `${e}`);
      assert.ok(e.message.startsWith(`${path}: `), e.message);
      assert.match(e.message, pattern);
      return true;
    });
  });
}

test("writeSafetensors refuses inconsistent input and leaves no file behind", async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, "c.safetensors");
  await assert.rejects(
    writeSafetensors(path, { a: { dtype: "F32", shape: [3], data: [1, 2] } }),
    /tensor "a": shape \[3\] needs 3 values, data has 2/,
  );
  assert.deepEqual(await readdir(dir), []);
  await writeSafetensors(path, { a: { dtype: "F32", shape: [1], data: [1] } });
  const before = await readFile(path);
  await assert.rejects(
    writeSafetensors(path, { a: { dtype: "I64", shape: [1], data: [0.5] } }),
    /c\.safetensors: tensor "a": cannot encode as I64/,
  );
  assert.deepEqual(await readFile(path), before, "a failed write leaves the old file intact");
  assert.deepEqual(await readdir(dir), ["c.safetensors"]);
});
