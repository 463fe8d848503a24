// A core on disk: the model as a Hugging Face directory (config.json, model.safetensors,
// tokenizer.json), the task head beside it, a small JSON of the core's settings, and each
// subnetwork as its own sparse file under subnetworks/. The subnetworks' switches are taken off for
// the model's save (a checkpoint holds plain weights) and put back after.

import * as tf from "@tensorflow/tfjs-core";
import { mkdir, readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { writeJsonAtomic } from "../io/atomic.js";
import { readSafetensors, writeSafetensors } from "../io/safetensors.js";
import { load } from "../models/load.js";
import { Linear } from "../nn/linear.js";
import { parametrize, unparametrize } from "../nn/parametrize.js";
import { POOLINGS, type Pooling } from "../nn/pool.js";
import { Core } from "./core.js";
import { TaskHead } from "./heads.js";
import { loadSubnetwork, saveSubnetwork } from "./sparse-file.js";

export const CORE_FILE = "diffprune-core.json";
export const HEAD_FILE = "diffprune-head.safetensors";
export const SUBNETWORK_DIR = "subnetworks";
const CORE_FORMAT = "stillroom.diffprune.core";

interface CoreJson {
  format: string;
  labels: string[];
  pooling: Pooling;
  maxLength: number;
  dropout: number;
}

/** Save `core` (and its current subnetworks; stale ones, trained for older weights, are left out) to `dir`. */
export async function saveCore(core: Core, dir: string): Promise<void> {
  const switches = [...core.switchesByWeight];
  for (const [w] of switches) unparametrize(core.model, w);
  try {
    await core.model.save(dir);
  } finally {
    for (const [w, sw] of switches) parametrize(core.model, w, sw);
  }
  const { weight, bias } = core.head.proj;
  await writeSafetensors(join(dir, HEAD_FILE), {
    "proj.weight": { dtype: "F32", shape: [...weight.shape], data: weight.dataSync() as Float32Array },
    "proj.bias": { dtype: "F32", shape: [...bias!.shape], data: bias!.dataSync() as Float32Array },
  });
  const json: CoreJson = {
    format: CORE_FORMAT,
    labels: [...core.labels],
    pooling: core.pooling,
    maxLength: core.maxLength,
    dropout: core.dropout,
  };
  await writeJsonAtomic(join(dir, CORE_FILE), json);
  const current = [...core.subnetworks.values()].filter((s) => s.coreVersion === core.version);
  if (current.length) await mkdir(join(dir, SUBNETWORK_DIR), { recursive: true });
  for (const s of current) await saveSubnetwork(core, s.name, join(dir, SUBNETWORK_DIR, `${encodeURIComponent(s.name)}.safetensors`));
}

/** Load a core saved with saveCore, with its subnetworks. */
export async function loadCore(dir: string): Promise<Core> {
  const path = join(dir, CORE_FILE);
  let json: CoreJson;
  try {
    json = JSON.parse(await readFile(path, "utf8")) as CoreJson;
  } catch (e) {
    throw new Error(`${path}: cannot read the core's settings (${(e as Error).message})`);
  }
  if (json.format !== CORE_FORMAT) throw new Error(`${path}: format = ${JSON.stringify(json.format)}, expected "${CORE_FORMAT}"`);
  if (!POOLINGS.includes(json.pooling))
    throw new Error(`${path}: pooling = ${JSON.stringify(json.pooling)}, expected one of ${POOLINGS.join(", ")}`);
  const model = await load(dir);
  if (!model.tokenizer) throw new Error(`${dir}: no tokenizer.json: the core's texts cannot be encoded`);
  const { tensors } = await readSafetensors(join(dir, HEAD_FILE), { names: ["proj.weight", "proj.bias"] });
  const w = tensors["proj.weight"];
  const b = tensors["proj.bias"];
  if (w.shape.length !== 2 || w.shape[0] !== json.labels.length || w.shape[1] !== model.config.dModel) {
    throw new Error(
      `${join(dir, HEAD_FILE)}: proj.weight is [${w.shape}], expected [${json.labels.length}, ${model.config.dModel}] (labels, hidden size)`,
    );
  }
  const proj = new Linear(
    tf.variable(tf.tensor2d(w.data as Float32Array, w.shape as [number, number])),
    tf.variable(tf.tensor1d(b.data as Float32Array)),
  );
  const core = new Core({
    model,
    head: new TaskHead(proj, json.dropout, 0),
    labels: json.labels,
    pooling: json.pooling,
    maxLength: json.maxLength,
    tokenizer: model.tokenizer,
    dropout: json.dropout,
  });
  const files = await readdir(join(dir, SUBNETWORK_DIR)).catch(() => [] as string[]);
  for (const f of files.filter((x) => x.endsWith(".safetensors")).sort()) await loadSubnetwork(core, join(dir, SUBNETWORK_DIR, f));
  return core;
}
