// The kernel's own diagnostics go straight to fd 2: process.stderr belongs to the cells.
import { writeSync } from "node:fs";

export function log(text: string): void {
  try {
    writeSync(2, `[stillroom] ${text}\n`);
  } catch {
    /* stderr closed: nothing left to tell */
  }
}

export const DEBUG = Boolean(process.env.STILLROOM_DEBUG && process.env.STILLROOM_DEBUG !== "0");

/** Details for someone tracing the kernel: written only when STILLROOM_DEBUG is set. */
export function debug(text: string): void {
  if (DEBUG) log(text);
}
