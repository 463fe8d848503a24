// Training checkpoints: model weights and AdamW moments (safetensors), plus step, seed, data position
// and history (JSON). Each checkpoint is written into a temporary folder that is renamed into place,
// then latest.json is replaced atomically; a kill at any moment leaves the previous one intact.

import * as tf from "@tensorflow/tfjs-core";
import { mkdir, readFile, readdir, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { readSafetensors, writeSafetensors, type TensorInput } from "../io/safetensors.js";
import { writeJsonAtomic } from "../io/atomic.js";
import type { AdamW } from "./adamw.js";
import type { HistoryData } from "./history.js";

export interface CheckpointState {
  step: number;
  seed: number;
  /** micro-batches consumed */
  dataPosition: number;
  history: HistoryData;
}

const LATEST = "latest.json";
const name = (step: number) => `step-${String(step).padStart(7, "0")}`;

async function f32(params: Map<string, tf.Variable>): Promise<Record<string, TensorInput>> {
  const out: Record<string, TensorInput> = {};
  for (const [n, v] of params) out[n] = { dtype: "F32", shape: [...v.shape], data: (await v.data()) as Float32Array };
  return out;
}

/** Whether a process with this id is running (a temp folder's owner). */
function running(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Temp folders (`.step-N.<pid>.tmp`) that a killed run left: their owner no longer runs. */
export async function removeStaleTemps(dir: string): Promise<string[]> {
  const stale = (await readdir(dir)).filter((f) => {
    const m = /^\.step-\d+\.(\d+)\.tmp$/.exec(f);
    return m !== null && !running(Number(m[1]));
  });
  for (const f of stale) await rm(join(dir, f), { recursive: true, force: true });
  return stale;
}

export async function saveCheckpoint(
  dir: string,
  params: Map<string, tf.Variable>,
  opt: AdamW,
  state: CheckpointState,
  keep = 2,
): Promise<string> {
  await mkdir(dir, { recursive: true });
  await removeStaleTemps(dir);
  const final = join(dir, name(state.step));
  const tmp = join(dir, `.${name(state.step)}.${process.pid}.tmp`);
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp);
  await writeSafetensors(join(tmp, "model.safetensors"), await f32(params));
  const moments: Record<string, TensorInput> = {};
  for (const [k, t] of Object.entries(await opt.state())) moments[k] = { dtype: "F32", ...t };
  await writeSafetensors(join(tmp, "optimizer.safetensors"), moments, { step: String(opt.step) });
  await writeFile(join(tmp, "state.json"), `${JSON.stringify(state)}\n`);
  await rm(final, { recursive: true, force: true });
  await rename(tmp, final);
  await writeJsonAtomic(join(dir, LATEST), { step: state.step, path: name(state.step) });
  const old = (await readdir(dir))
    .filter((f) => /^step-\d+$/.test(f))
    .sort()
    .slice(0, -keep);
  for (const f of old) await rm(join(dir, f), { recursive: true, force: true });
  return final;
}

/** The latest checkpoint's state, after loading its weights and moments; null when there is none. */
export async function loadCheckpoint(dir: string, params: Map<string, tf.Variable>, opt: AdamW): Promise<CheckpointState | null> {
  let latest: { path: string };
  try {
    latest = JSON.parse(await readFile(join(dir, LATEST), "utf8"));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new Error(`${join(dir, LATEST)}: cannot read (${(e as Error).message})`);
  }
  const at = join(dir, latest.path);
  const state = JSON.parse(await readFile(join(at, "state.json"), "utf8")) as CheckpointState;
  const { tensors } = await readSafetensors(join(at, "model.safetensors"));
  for (const [n, v] of params) {
    const t = tensors[n];
    if (!t) throw new Error(`${at}: the checkpoint lacks ${n} (was it written by another model?)`);
    if (t.shape.join() !== v.shape.join()) throw new Error(`${at}: ${n} has shape [${t.shape}], the model [${v.shape}]`);
    tf.tidy(() => v.assign(tf.tensor(t.data as Float32Array, t.shape, "float32")));
  }
  const o = await readSafetensors(join(at, "optimizer.safetensors"));
  const moments: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const [k, t] of Object.entries(o.tensors)) moments[k] = { shape: t.shape, data: t.data as Float32Array };
  opt.load(Number(o.metadata.step), moments);
  return state;
}
