// Atomic file writes: write a temporary file beside the target, then rename over it, so a reader
// (or a crash) never sees half a file.

import { open, rename, rm, type FileHandle } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { randomBytes } from "node:crypto";

function tempPath(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
}

/** Run `write` on a handle to a temporary file, then rename it to `path`; the temp file never survives. */
export async function withAtomicFile(path: string, write: (fh: FileHandle) => Promise<void>): Promise<void> {
  const tmp = tempPath(path);
  const fh = await open(tmp, "w");
  try {
    await write(fh);
    await fh.sync();
  } catch (e) {
    await fh.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw e;
  }
  await fh.close();
  try {
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await withAtomicFile(path, async (fh) => {
    await fh.writeFile(data);
  });
}

export async function writeJsonAtomic(path: string, obj: unknown): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(obj, null, 2)}\n`);
}
