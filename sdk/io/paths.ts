// Small file-system questions the loaders and the teacher's cache ask.
import { stat } from "node:fs/promises";

/** Whether anything (file or folder) is at path. */
export async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
