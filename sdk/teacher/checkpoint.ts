// Where teachers live on disk: the committed checkpoint shipped in the package (models/teacher/),
// and retrained ones under $STILLROOM_CACHE or ~/.cache/stillroom, folder teacher-<recipe hash>.
// Each folder is a Hugging Face model directory plus recipe.json: the recipe and its hash.

import { homedir } from "node:os";
import { join } from "node:path";
import { readFile, rename, rm, mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { Model } from "../models/model.js";
import { writeJsonAtomic } from "../io/atomic.js";
import { recipeHash, type TeacherRecipe } from "./recipe.js";

/** The committed checkpoint: models/teacher/ at the package root (this file is dist/sdk/teacher/). */
export const COMMITTED_DIR = fileURLToPath(new URL("../../../models/teacher/", import.meta.url)).replace(/\/$/, "");

export function cacheRoot(): string {
  return process.env.STILLROOM_CACHE || join(homedir(), ".cache", "stillroom");
}

export function teacherDir(recipe: TeacherRecipe): string {
  return join(cacheRoot(), `teacher-${recipeHash(recipe)}`);
}

export interface RecipeFile {
  hash: string;
  recipe: TeacherRecipe;
  /** training time, ms */
  trainMs?: number;
  [extra: string]: unknown;
}

/** recipe.json of a teacher folder, or undefined when there is none. */
export async function readRecipeFile(dir: string): Promise<RecipeFile | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, "recipe.json"), "utf8");
  } catch {
    return undefined;
  }
  const r = JSON.parse(text) as RecipeFile;
  if (typeof r?.hash !== "string" || typeof r.recipe !== "object") throw new Error(`${join(dir, "recipe.json")}: expected {hash, recipe}`);
  return r;
}

/** Writes the model and recipe.json into a temporary folder beside dir, then renames it over dir. */
export async function saveTeacher(model: Model, dir: string, recipe: TeacherRecipe, extra: Record<string, unknown> = {}): Promise<void> {
  const tmp = `${dir.replace(/\/$/, "")}.${process.pid}.tmp`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  await model.save(tmp);
  await writeJsonAtomic(join(tmp, "recipe.json"), { hash: recipeHash(recipe), recipe, ...extra });
  await rm(dir, { recursive: true, force: true });
  await rename(tmp, dir);
}
