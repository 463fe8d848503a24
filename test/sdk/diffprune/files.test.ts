import { test, before } from "node:test";
import assert from "node:assert/strict";
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { tempDir, useCpu } from "../models/helpers.js";
import { readSafetensors, readSafetensorsHeader, writeSafetensors } from "../../../sdk/io/safetensors.js";
import { attribute } from "../../../sdk/diffprune/attribute.js";
import { loadCore, saveCore } from "../../../sdk/diffprune/core-files.js";
import { mask } from "../../../sdk/diffprune/mask.js";
import { loadSubnetwork, saveSubnetwork } from "../../../sdk/diffprune/sparse-file.js";
import type { Subnetwork } from "../../../sdk/diffprune/subnetwork.js";
import { bits, tinyCore, tinyData } from "./helpers.js";

before(useCpu);

const data = tinyData();
const quick = { epochs: 1, fixEpochs: 1, quiet: true, lr: 1e-2 };
const texts = data.test.slice(0, 4);

test("a subnetwork saves as indices and values, its size growing with its non-zeros, and loads back bit for bit", async (t) => {
  const dir = await tempDir(t);
  const core = await tinyCore(data);
  const small = (await attribute(core, data, { attribute: "gender", sparsity: 0.02, ...quick })) as Subnetwork;
  const large = (await attribute(core, data, { attribute: "age", sparsity: 0.2, ...quick })) as Subnetwork;
  const headers: number[] = [];
  for (const s of [small, large]) {
    const path = join(dir, `${s.name}.safetensors`);
    await saveSubnetwork(core, s.name, path);
    const header = await readSafetensorsHeader(path);
    const file = (await stat(path)).size;
    // every byte of data is an I32 index or an F32 value of a non-zero entry
    assert.equal(header.dataBytes, 8 * s.changed);
    assert.equal(file, header.dataStart + 8 * s.changed);
    for (const e of header.entries) assert.match(e.name, /^model\..*\.(indices|values)$/);
    assert.equal(header.metadata.format, "stillroom.diffprune.subnetwork");
    assert.equal(header.metadata.core_hash, core.weightsHash());
    headers.push(header.dataStart);
  }
  assert.ok(small.changed * 9 < large.changed, "10x the sparsity share, about 10x the non-zeros");
  // the header lists the covered weights (two tensors each at most) and their shapes: bounded by the weights, not the non-zeros
  assert.ok(Math.max(...headers) < 4096, `headers ${headers}`);

  const g = bits(core.with(mask("gender")).represent(texts));
  const both = bits(core.with(mask(["gender", "age"])).represent(texts));
  core.remove("gender");
  core.remove("age");
  assert.throws(() => core.with(mask("gender")), /no subnetwork "gender"/);
  const loaded = await loadSubnetwork(core, join(dir, "gender.safetensors"));
  await loadSubnetwork(core, join(dir, "age.safetensors"));
  assert.equal(loaded.regime, "loaded");
  assert.deepEqual(loaded.attributes, ["gender"]);
  assert.equal(loaded.changed, small.changed);
  assert.deepEqual(bits(core.with(mask("gender")).represent(texts)), g);
  assert.deepEqual(bits(core.with(mask(["gender", "age"])).represent(texts)), both);
  await loadSubnetwork(core, join(dir, "gender.safetensors"), { name: "gender-again" });
  assert.deepEqual(bits(core.with(mask("gender-again")).represent(texts)), g);
  await assert.rejects(loadSubnetwork(core, join(dir, "gender.safetensors")), /already has a subnetwork "gender"/);
  core.dispose();
});

test("a subnetwork loads only onto the weights it was trained for: a mismatch names both hashes", async (t) => {
  const dir = await tempDir(t);
  const core = await tinyCore(data, 1);
  await attribute(core, data, { attribute: "gender", ...quick });
  const path = join(dir, "gender.safetensors");
  await saveSubnetwork(core, "gender", path);
  const other = await tinyCore(data, 2);
  await assert.rejects(
    loadSubnetwork(other, path),
    (e: Error) =>
      e.message.includes(`subnetwork "gender" was trained for core weights with hash ${core.weightsHash()}`) &&
      e.message.includes(`this core's weights hash is ${other.weightsHash()}`),
  );
  assert.equal(other.subnetworks.size, 0);
  other.dispose();
  core.dispose();
});

test("malformed subnetwork files: errors name the file, the tensor and the position", async (t) => {
  const dir = await tempDir(t);
  const core = await tinyCore(data, 3);
  await attribute(core, data, { attribute: "gender", ...quick });
  const good = join(dir, "good.safetensors");
  await saveSubnetwork(core, "gender", good);
  core.remove("gender");
  const { tensors, metadata } = await readSafetensors(good);
  const write = async (name: string, ts: typeof tensors, meta: Record<string, string>) => {
    const path = join(dir, name);
    await writeSafetensors(path, ts as never, meta);
    return path;
  };
  const w = "model.layers.0.mlp.up_proj.weight";
  const badIdx = {
    ...tensors,
    [`${w}.indices`]: {
      ...tensors[`${w}.indices`],
      data: Int32Array.from(tensors[`${w}.indices`].data as Int32Array, (x, i) => (i === 3 ? 10_000_000 : x)),
    },
  };
  await assert.rejects(
    loadSubnetwork(core, await write("idx.safetensors", badIdx, metadata)),
    /idx.safetensors: tensor "model.layers.0.mlp.up_proj.weight.indices" at position 3: index 10000000 is outside \[0, 640\)/,
  );
  const { [`${w}.values`]: _, ...noValues } = tensors;
  await assert.rejects(
    loadSubnetwork(core, await write("nov.safetensors", noValues, metadata)),
    /nov.safetensors: weight "model.layers.0.mlp.up_proj.weight" has indices but no values/,
  );
  await assert.rejects(
    loadSubnetwork(core, await write("fmt.safetensors", tensors, { ...metadata, format: "peft" })),
    /fmt.safetensors: not a DiffPrune subnetwork file \(metadata format = "peft"/,
  );
  const shapes = JSON.parse(metadata.shapes);
  shapes[w] = [3, 3];
  await assert.rejects(
    loadSubnetwork(core, await write("shape.safetensors", tensors, { ...metadata, shapes: JSON.stringify(shapes) })),
    /weight "model.layers.0.mlp.up_proj.weight" is \[3,3\] in the file but \[40,16\] in the core/,
  );
  await assert.rejects(
    loadSubnetwork(core, await write("stray.safetensors", { ...tensors, extra: tensors[`${w}.values`] }, metadata)),
    /tensor "extra" belongs to no weight/,
  );
  assert.equal(core.subnetworks.size, 0);
  core.dispose();
});

test("a core saves as a Hugging Face directory with its head and subnetworks, and loads back with the same outputs", async (t) => {
  const dir = await tempDir(t);
  const core = await tinyCore(data, 4);
  await attribute(core, data, { attribute: ["gender", "age"], ...quick });
  const plain = bits(core.logits(texts));
  const both = bits(core.with(mask(["gender", "age"]), { combine: "mean" }).represent(texts));
  await saveCore(core, dir);
  assert.deepEqual(bits(core.logits(texts)), plain, "the switches are back after saving");
  const files = (await readdir(dir)).sort();
  for (const f of [
    "config.json",
    "diffprune-core.json",
    "diffprune-head.safetensors",
    "model.safetensors",
    "subnetworks",
    "tokenizer.json",
  ])
    assert.ok(files.includes(f), f);
  assert.deepEqual((await readdir(join(dir, "subnetworks"))).sort(), ["age.safetensors", "gender.safetensors"]);
  const back = await loadCore(dir);
  assert.equal(back.weightsHash(), core.weightsHash());
  assert.deepEqual([...back.subnetworks.keys()].sort(), ["age", "gender"]);
  assert.deepEqual(bits(back.logits(texts)), plain);
  assert.deepEqual(bits(back.with(mask(["gender", "age"]), { combine: "mean" }).represent(texts)), both);
  assert.deepEqual(back.predict(texts), core.predict(texts));
  const tensors = tf.memory().numTensors;
  back.dispose();
  assert.ok(tf.memory().numTensors < tensors);
  core.dispose();
});
