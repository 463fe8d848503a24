// Reading the JSON files of a model directory (index, tokenizer, configs).
import { readFile } from "node:fs/promises";

/** A JSON object (not null, not an array): what a config or header must be before its fields are read. */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The parsed file, or undefined when it does not exist; malformed JSON names the file. */
export async function readJsonIfPresent(path: string): Promise<unknown | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${(e as Error).message})`);
  }
}
