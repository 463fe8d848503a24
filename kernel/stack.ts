// Stack traces as a notebook shows them, wherever they are read (a cell's error, a rejected
// promise shown as a value, console.log(error), an unhandled rejection): positions in a cell are
// where the user typed them, and the kernel's own frames are gone. V8 calls Error.prepareStackTrace
// the first time an error's stack is read, so this costs nothing until then.
import { dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { DEBUG } from "./log.js";
import type { CellPosition, CellPositions } from "./positions.js";
import { compileCell } from "./rewrite.js";

const KERNEL_DIR = dirname(fileURLToPath(import.meta.url));
const KERNEL_URL = pathToFileURL(KERNEL_DIR).href;

/** Frames at least this deep are kept: tfjs alone can be ten deep before the user's cell. */
const STACK_TRACE_LIMIT = 64;

/** The script names the executor gives cells: In[3], In[*2] (not stored in history), user_expressions. */
export function isCellFile(file: string | null | undefined): boolean {
  return !!file && (file.startsWith("In[") || file === "user_expressions");
}

/** The kernel's own code: the cell machinery and node:vm, which runs cells. */
export function isKernelFile(file: string): boolean {
  return file.startsWith(KERNEL_DIR) || file.startsWith(KERNEL_URL) || file === "node:vm";
}

/** Every cell's source by script name, with its position map built on first use. */
class CellSources {
  private readonly cells = new Map<string, { code: string; positions?: CellPositions | null }>();

  add(name: string, code: string): void {
    this.cells.set(name, { code });
  }

  code(name: string): string | undefined {
    return this.cells.get(name)?.code;
  }

  /** Where a script position was typed; null inside the kernel's wrapper; undefined for an unknown script. */
  toCell(name: string, line: number, column: number): CellPosition | null | undefined {
    const cell = this.cells.get(name);
    if (!cell) return undefined;
    if (cell.positions === undefined) {
      try {
        cell.positions = compileCell(cell.code, { positions: true }).positions ?? null;
      } catch {
        cell.positions = null;
      }
    }
    return cell.positions ? cell.positions.toCell(line, column) : { line, column };
  }
}

export const cellSources = new CellSources();

/**
 * The frames of a stack as V8 writes them ("fn (file:line:col)"), cell positions mapped. When
 * the user's code is on the stack, what called the outermost cell frame is the kernel running
 * it, and the kernel's frames between are its display and output machinery: both go (unless
 * STILLROOM_DEBUG is set). A stack with no cell on it is the kernel's or a library's: kept whole.
 */
export function stackFrames(sites: NodeJS.CallSite[]): string[] {
  let outermost = -1;
  for (let i = sites.length - 1; i >= 0 && outermost < 0; i--) if (isCellFile(sites[i]!.getFileName())) outermost = i;
  const frames: string[] = [];
  for (const [i, site] of sites.entries()) {
    const file = site.getFileName() ?? "";
    if (outermost >= 0 && !DEBUG && (i > outermost || isKernelFile(file))) continue;
    let text = String(site);
    const line = site.getLineNumber();
    const column = site.getColumnNumber();
    if (isCellFile(file) && line !== null && column !== null) {
      const at = cellSources.toCell(file, line, column);
      if (at === null && !DEBUG) continue;
      if (at) text = text.replace(`${file}:${line}:${column}`, `${file}:${at.line}:${at.column}`);
    }
    frames.push(text);
  }
  return frames;
}

function prepareStackTrace(error: Error, sites: NodeJS.CallSite[]): string {
  let header: string;
  try {
    header = Error.prototype.toString.call(error);
  } catch {
    header = "Error";
  }
  let frames: string[];
  try {
    frames = stackFrames(sites);
  } catch {
    frames = sites.map(String);
  }
  return frames.length ? `${header}\n    at ${frames.join("\n    at ")}` : header;
}

let installed = false;

/** Installs the kernel's stack traces for every error of this thread (once). */
export function installStackTraces(): void {
  if (installed) return;
  installed = true;
  Error.stackTraceLimit = Math.max(Error.stackTraceLimit, STACK_TRACE_LIMIT);
  Error.prepareStackTrace = prepareStackTrace;
}
