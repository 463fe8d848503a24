// A subnetwork as a sparse safetensors file: for each weight it changes, the flat (row-major)
// positions of its non-zero diff entries and their values,
//
//   "<weight>.indices"  I32 [nnz]
//   "<weight>.values"   F32 [nnz]
//
// so the file grows with the non-zeros, not with the model. The metadata says what it is
// (format, name, attributes, sparsity), every covered weight's shape, and the hash of the core
// weights it was trained for: it loads only onto a core whose weights hash the same.

import * as tf from "@tensorflow/tfjs-core";
import { readSafetensors, writeSafetensors, type TensorInput } from "../io/safetensors.js";
import type { Core } from "./core.js";
import { MaskedDiff } from "./diff.js";
import { Subnetwork } from "./subnetwork.js";

export const SUBNETWORK_FORMAT = "stillroom.diffprune.subnetwork";

/** Write subnetwork `name` of `core` to `path` (atomically). */
export async function saveSubnetwork(core: Core, name: string, path: string): Promise<void> {
  const s = core.subnetworks.get(name);
  if (!s) throw new Error(`diffprune.save: no subnetwork "${name}"; the core has: ${[...core.subnetworks.keys()].join(", ") || "(none)"}`);
  const tensors: Record<string, TensorInput> = {};
  const shapes: Record<string, number[]> = {};
  for (const [w, piece] of s.diffs) {
    const d = piece.d.dataSync() as Float32Array;
    if (d.length > 2 ** 31 - 1) throw new Error(`diffprune.save: ${w} has ${d.length} entries, more than I32 indices address`);
    shapes[w] = [...piece.d.shape];
    const idx: number[] = [];
    for (let i = 0; i < d.length; i++) if (d[i] !== 0) idx.push(i);
    if (idx.length === 0) continue;
    tensors[`${w}.indices`] = { dtype: "I32", shape: [idx.length], data: Int32Array.from(idx) };
    tensors[`${w}.values`] = { dtype: "F32", shape: [idx.length], data: Float32Array.from(idx, (i) => d[i]) };
  }
  await writeSafetensors(path, tensors, {
    format: SUBNETWORK_FORMAT,
    version: "1",
    name: s.name,
    attributes: JSON.stringify(s.attributes),
    sparsity: String(s.sparsity),
    core_hash: s.coreHash,
    shapes: JSON.stringify(shapes),
  });
}

function parseJson<T>(path: string, key: string, text: string | undefined): T {
  if (text === undefined) throw new Error(`${path}: the metadata has no "${key}"`);
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new Error(`${path}: metadata "${key}" is not valid JSON (${(e as Error).message})`);
  }
}

/** Read a subnetwork file onto `core` (its weights hash must match the file's); returns the subnetwork. */
export async function loadSubnetwork(core: Core, path: string, opts: { name?: string } = {}): Promise<Subnetwork> {
  const { tensors, metadata } = await readSafetensors(path);
  if (metadata.format !== SUBNETWORK_FORMAT) {
    throw new Error(
      `${path}: not a DiffPrune subnetwork file (metadata format = ${JSON.stringify(metadata.format)}, expected "${SUBNETWORK_FORMAT}")`,
    );
  }
  const name = opts.name ?? metadata.name;
  if (!name) throw new Error(`${path}: the metadata has no "name"`);
  const hash = core.weightsHash();
  if (metadata.core_hash !== hash) {
    throw new Error(
      `${path}: subnetwork "${metadata.name}" was trained for core weights with hash ${metadata.core_hash}; this core's weights hash is ${hash}. Load it onto the core it was trained for`,
    );
  }
  if (core.subnetworks.has(name))
    throw new Error(`${path}: the core already has a subnetwork "${name}"; load it under another name ({name})`);
  const shapes = parseJson<Record<string, number[]>>(path, "shapes", metadata.shapes);
  const attributes = parseJson<string[]>(path, "attributes", metadata.attributes);
  const base = core.baseParameters();
  const known = new Set(Object.keys(shapes).flatMap((w) => [`${w}.indices`, `${w}.values`]));
  const stray = Object.keys(tensors).find((t) => !known.has(t));
  if (stray !== undefined) throw new Error(`${path}: tensor "${stray}" belongs to no weight listed in the metadata's shapes`);
  const dense = new Map<string, Float32Array>();
  for (const [w, shape] of Object.entries(shapes)) {
    const v = base.get(w);
    if (!v) throw new Error(`${path}: the core has no weight "${w}"`);
    if (v.shape.join() !== shape.join()) throw new Error(`${path}: weight "${w}" is [${shape}] in the file but [${v.shape}] in the core`);
    const out = new Float32Array(v.size);
    const idx = tensors[`${w}.indices`];
    const vals = tensors[`${w}.values`];
    if (idx || vals) {
      if (!idx || !vals) throw new Error(`${path}: weight "${w}" has ${idx ? "indices but no values" : "values but no indices"}`);
      if (idx.dtype !== "I32" || vals.dtype !== "F32")
        throw new Error(`${path}: weight "${w}": indices must be I32 and values F32 (got ${idx.dtype}, ${vals.dtype})`);
      if (idx.data.length !== vals.data.length)
        throw new Error(`${path}: weight "${w}": ${idx.data.length} indices but ${vals.data.length} values`);
      const ii = idx.data as Int32Array;
      for (let k = 0; k < ii.length; k++) {
        if (ii[k] < 0 || ii[k] >= out.length)
          throw new Error(`${path}: tensor "${w}.indices" at position ${k}: index ${ii[k]} is outside [0, ${out.length})`);
        out[ii[k]] = (vals.data as Float32Array)[k];
      }
    }
    dense.set(w, out);
  }
  const diffs = new Map<string, MaskedDiff>();
  for (const [w, data] of dense) {
    const piece = new MaskedDiff(tf.tensor(data, base.get(w)!.shape), null);
    piece.finish();
    diffs.set(w, piece);
    core.switchFor(w).pieces.set(name, piece);
  }
  const s = new Subnetwork(
    { name, attributes, sparsity: Number(metadata.sparsity), regime: "loaded", coreVersion: core.version, coreHash: hash },
    diffs,
  );
  core.add(s);
  return s;
}
