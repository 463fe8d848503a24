// A tiny Llama pretrained on the default suite, cached on disk (Hugging Face layout) under a hash of
// its recipe: $STILLROOM_CACHE or ~/.cache/stillroom, folder teacher-<hash>. Trains when missing.

import { createHash } from "node:crypto";
import { homedir } from "node:os";
import { join } from "node:path";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { exists } from "../io/paths.js";
import type { ModelConfigInput } from "../models/config.js";
import { create } from "../models/create.js";
import { load } from "../models/load.js";
import type { Model } from "../models/model.js";
import { fit } from "../train/fit.js";
import type { ProgressEvent } from "../train/options.js";
import type { Schedule } from "../train/schedule.js";
import { suite } from "./suite.js";
import { TASK_NAMES } from "./registry.js";
import { VOCAB_SIZE, EOS, PAD, BOS } from "./vocab.js";

export interface TeacherRecipe {
  model: ModelConfigInput;
  tasks: string[];
  options: Record<string, object>;
  steps: number;
  batchSize: number;
  lr: number;
  warmup: number;
  schedule: Schedule;
  weightDecay: number;
  seed: number;
}

/** The default recipe; its measured accuracy and time, and why it stops there, are in bench/README.md. */
export const TEACHER_RECIPE: TeacherRecipe = {
  model: {
    family: "llama",
    vocabSize: VOCAB_SIZE,
    dModel: 96,
    nLayers: 2,
    nHeads: 4,
    dFf: 256,
    maxSeq: 128,
    bosTokenId: BOS,
    eosTokenId: EOS,
    padTokenId: PAD,
  },
  tasks: TASK_NAMES,
  options: {},
  steps: 2500,
  batchSize: 16,
  lr: 3e-3,
  warmup: 100,
  schedule: "cosine",
  weightDecay: 0.01,
  seed: 0,
};

/** Bump when task generators change: the cached weights would no longer match the recipe. */
const FORMAT = 2;

export function recipeHash(r: TeacherRecipe): string {
  const canon = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canon)
      : v && typeof v === "object"
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, canon((v as Record<string, unknown>)[k])]),
          )
        : v;
  return createHash("sha256")
    .update(JSON.stringify({ format: FORMAT, recipe: canon(r) }))
    .digest("hex")
    .slice(0, 12);
}

export function cacheRoot(): string {
  return process.env.STILLROOM_CACHE || join(homedir(), ".cache", "stillroom");
}

export function teacherDir(recipe: TeacherRecipe = TEACHER_RECIPE): string {
  return join(cacheRoot(), `teacher-${recipeHash(recipe)}`);
}

export interface TeacherOptions {
  recipe?: Partial<TeacherRecipe>;
  onProgress?: (e: ProgressEvent) => void;
  /** retrain even when cached */
  force?: boolean;
  quiet?: boolean;
}

/** Train the recipe's model (no caching). */
export async function trainTeacher(recipe: TeacherRecipe, opts: Pick<TeacherOptions, "onProgress" | "quiet"> = {}): Promise<Model> {
  const s = suite(recipe.tasks, { seed: recipe.seed, options: recipe.options });
  const model = create(recipe.model, { seed: recipe.seed });
  await fit(model, s.batches({ batchSize: recipe.batchSize }), {
    steps: recipe.steps,
    lr: recipe.lr,
    warmup: recipe.warmup,
    schedule: recipe.schedule,
    weightDecay: recipe.weightDecay,
    seed: recipe.seed,
    label: "teacher",
    onProgress: opts.onProgress,
    quiet: opts.quiet,
  });
  return model;
}

/** The cached teacher for the recipe (default TEACHER_RECIPE), training and caching it when missing. */
export async function teacher(opts: TeacherOptions = {}): Promise<Model> {
  const recipe = { ...TEACHER_RECIPE, ...opts.recipe };
  const dir = teacherDir(recipe);
  if (!opts.force && (await exists(join(dir, "config.json")))) return load(dir);
  const t0 = performance.now();
  const model = await trainTeacher(recipe, opts);
  const trainMs = performance.now() - t0;
  await mkdir(cacheRoot(), { recursive: true });
  const tmp = `${dir}.${process.pid}.tmp`;
  await rm(tmp, { recursive: true, force: true });
  await model.save(tmp);
  await writeFile(join(tmp, "recipe.json"), `${JSON.stringify({ hash: recipeHash(recipe), recipe, trainMs }, null, 2)}\n`);
  await rm(dir, { recursive: true, force: true });
  await rename(tmp, dir);
  return model;
}
