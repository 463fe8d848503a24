import { test } from "node:test";
import assert from "node:assert/strict";
import { readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { readWeights, writeWeights, planShards, INDEX_FILE } from "../../../sdk/io/weights.js";
import type { TensorInput } from "../../../sdk/io/safetensors.js";
import { tempDir } from "../models/helpers.js";

const tensors = (): Record<string, TensorInput> => ({
  "a.weight": { dtype: "F32", shape: [4, 4], data: Float32Array.from({ length: 16 }, (_, i) => i) }, // 64 B
  "b.weight": { dtype: "F32", shape: [8], data: Float32Array.from({ length: 8 }, (_, i) => -i) }, // 32 B
  "c.weight": { dtype: "F16", shape: [16], data: Float32Array.from({ length: 16 }, (_, i) => i / 2) }, // 32 B
});

test("planShards: greedy, in order, a tensor larger than the limit gets its own shard", () => {
  const t = tensors();
  assert.deepEqual(planShards(t, 100), [["a.weight", "b.weight"], ["c.weight"]]);
  assert.deepEqual(planShards(t, 10), [["a.weight"], ["b.weight"], ["c.weight"]]);
  assert.deepEqual(planShards(t, 1e9), [["a.weight", "b.weight", "c.weight"]]);
});

test("sharded write: index + shards; read back equal; switching layouts removes stale files", async (t) => {
  const dir = await tempDir(t);
  await writeWeights(dir, tensors(), { maxShardBytes: 70 });
  assert.deepEqual((await readdir(dir)).sort(), ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors", INDEX_FILE]);
  const index = JSON.parse(await readFile(join(dir, INDEX_FILE), "utf8"));
  assert.equal(index.metadata.total_size, 128);
  assert.equal(index.weight_map["c.weight"], "model-00002-of-00002.safetensors");
  const back = await readWeights(dir);
  for (const [name, tin] of Object.entries(tensors())) {
    assert.deepEqual(back.get(name)!.shape, tin.shape);
    assert.deepEqual(Array.from(back.get(name)!.data as Float32Array), Array.from(tin.data as Float32Array));
  }
  await writeWeights(dir, tensors());
  assert.deepEqual(await readdir(dir), ["model.safetensors"]);
  await writeWeights(dir, tensors(), { maxShardBytes: 40 });
  assert.deepEqual((await readdir(dir)).length, 4);
  assert.ok(!(await readdir(dir)).includes("model.safetensors"));
});

test("a missing shard or a bad index names the file", async (t) => {
  const dir = await tempDir(t);
  await writeWeights(dir, tensors(), { maxShardBytes: 70 });
  await rm(join(dir, "model-00002-of-00002.safetensors"));
  await assert.rejects(readWeights(dir), /model-00002-of-00002\.safetensors/);
  const empty = join(dir, "nothing");
  await assert.rejects(readWeights(empty), /no model\.safetensors and no model\.safetensors\.index\.json/);
  await assert.rejects(writeWeights(dir, tensors(), { maxShardBytes: -1 }), /maxShardBytes = -1/);
});
