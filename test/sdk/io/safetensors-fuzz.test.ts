// Fuzz: mutate and truncate a valid file at random (seeded). Every outcome must be a consistent
// parse or an Error naming the file: never a crash of another kind, a hang, or a silent wrong shape.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { readSafetensors, writeSafetensors, type TensorInput } from "../../../sdk/io/safetensors.js";
import { DTYPE_BYTES } from "../../../sdk/io/dtypes.js";
import { mulberry32 } from "../../../sdk/nn/random.js";
import { tempDir } from "../models/helpers.js";

const CASES = 3000;

test(`fuzz: ${CASES} mutated or truncated files parse consistently or fail naming the file`, { timeout: 120_000 }, async (t) => {
  const dir = await tempDir(t);
  const src = join(dir, "valid.safetensors");
  const tensors: Record<string, TensorInput> = {
    "model.embed.weight": { dtype: "F32", shape: [4, 3], data: Float32Array.from({ length: 12 }, (_, i) => i / 3) },
    h: { dtype: "F16", shape: [5], data: [1, 2, 3, 4, 5] },
    b: { dtype: "BF16", shape: [2, 2], data: [1, -1, 2, -2] },
    ids: { dtype: "I64", shape: [3], data: [1, 2, 3] },
    n: { dtype: "I32", shape: [], data: [9] },
    e: { dtype: "U8", shape: [0], data: [] },
  };
  await writeSafetensors(src, tensors, { format: "pt" });
  const valid = new Uint8Array(await readFile(src));
  const headerEnd = 8 + Number(new DataView(valid.buffer, valid.byteOffset).getBigUint64(0, true));
  const rng = mulberry32(20240611);
  const int = (n: number) => Math.floor(rng() * n);
  const path = join(dir, "fuzz.safetensors");
  const counts = { parsed: 0, rejected: 0 };

  for (let i = 0; i < CASES; i++) {
    let bytes = valid.slice();
    const kind = int(5);
    let headerTouched = true;
    if (kind === 0)
      bytes = bytes.slice(0, int(bytes.length)); // truncate anywhere
    else if (kind === 1) {
      // flip bytes in the header
      for (let k = 1 + int(3); k > 0; k--) bytes[8 + int(headerEnd - 8)] = int(256);
    } else if (kind === 2) {
      // flip bytes anywhere
      for (let k = 1 + int(4); k > 0; k--) bytes[int(bytes.length)] = int(256);
    } else if (kind === 3) {
      // bytes only in the data section: same header
      for (let k = 1 + int(4); k > 0; k--) bytes[headerEnd + int(bytes.length - headerEnd)] = int(256);
      headerTouched = false;
    } else {
      // mangle the length prefix or a digit in the header
      if (rng() < 0.5) bytes[int(8)] = int(256);
      else {
        const digits = [...bytes.subarray(8, headerEnd).keys()].filter((j) => bytes[8 + j] >= 48 && bytes[8 + j] <= 57);
        bytes[8 + digits[int(digits.length)]] = 48 + int(10);
      }
    }
    await writeFile(path, bytes);
    let parsed: Awaited<ReturnType<typeof readSafetensors>>;
    try {
      parsed = await readSafetensors(path);
    } catch (e) {
      assert.ok(e instanceof Error, `case ${i}: threw a non-Error ${String(e)}`);
      assert.ok(e.message.includes(path), `case ${i}: message does not name the file: ${e.message}`);
      counts.rejected++;
      continue;
    }
    counts.parsed++;
    let total = 0;
    for (const [name, tdata] of Object.entries(parsed.tensors)) {
      const numel = tdata.shape.reduce((a, b) => a * b, 1);
      assert.equal(tdata.data.length, numel, `case ${i}: ${name} has ${tdata.data.length} values for shape [${tdata.shape}]`);
      total += numel * DTYPE_BYTES[tdata.dtype];
    }
    const dataStart = 8 + Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
    assert.equal(total, bytes.length - dataStart, `case ${i}: tensors do not cover the data section`);
    if (!headerTouched) {
      for (const [name, tin] of Object.entries(tensors)) {
        assert.deepEqual(parsed.tensors[name].shape, tin.shape, `case ${i}: ${name} shape changed`);
        assert.equal(parsed.tensors[name].dtype, tin.dtype);
      }
    }
  }
  t.diagnostic(`fuzz: ${counts.parsed} parsed consistently, ${counts.rejected} rejected with the file named`);
  assert.ok(counts.rejected > CASES / 4 && counts.parsed > CASES / 10);
});
