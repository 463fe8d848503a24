// An error as a cell's traceback: the user's frames first, each with its line of the cell and a
// caret under the column, then one line for the library frames folded away ("... 9 frames in
// @tensorflow/tfjs-core, 1 in stillroom"). The stack has already been cleaned and mapped
// (stack.ts); this only lays it out.
import { fileURLToPath } from "node:url";
import { cellSources, isCellFile, isKernelFile } from "./stack.js";

const RED = "\x1b[31m";
const CYAN = "\x1b[36m";
const DIM = "\x1b[2m";
const RESET = "\x1b[0m";

const SDK_DIR = fileURLToPath(new URL("../sdk/", import.meta.url));

interface Frame {
  /** The frame as V8 wrote it, after "at ". */
  text: string;
  /** The function, without V8's "async " and "new " prefixes ("" at a script's top level). */
  name: string;
  file: string;
  line: number;
  column: number;
  /** Where it lives: a cell, the user's own file, a package (folded), or a builtin. */
  kind: "cell" | "user" | "library" | "builtin" | "kernel";
  /** The package a library frame belongs to. */
  library?: string;
}

const LOCATION = /^(.*?):(\d+):(\d+)$/;

function parseFrame(text: string): Frame {
  const inParens = text.endsWith(")") ? text.lastIndexOf(" (") : -1;
  const location = inParens >= 0 ? text.slice(inParens + 2, -1) : text.replace(/^async /, "");
  const name = inParens >= 0 ? text.slice(0, inParens).replace(/^(async |new )/, "") : "";
  const m = LOCATION.exec(location);
  const file = m ? m[1]! : location;
  const frame: Frame = { text, name, file, line: m ? Number(m[2]) : 0, column: m ? Number(m[3]) : 0, kind: "user" };
  let path = file;
  if (path.startsWith("file://")) {
    try {
      path = fileURLToPath(path);
    } catch {
      /* keep it as written */
    }
  }
  const modules = path.lastIndexOf("/node_modules/");
  if (isCellFile(file)) frame.kind = "cell";
  else if (isKernelFile(file)) frame.kind = "kernel";
  else if (modules >= 0) {
    const parts = path.slice(modules + "/node_modules/".length).split("/");
    frame.kind = "library";
    frame.library = parts[0]!.startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0];
  } else if (path.startsWith(SDK_DIR)) {
    frame.kind = "library";
    frame.library = "stillroom";
  } else if (file.startsWith("node:")) {
    frame.kind = "library";
    frame.library = "node";
  } else if (!m) frame.kind = "builtin";
  return frame;
}

/** `In[3], line 2`, the line, and a caret under `column` (from 0). */
export function snippet(cell: string, line: number, column: number, where = ""): string[] {
  const text = cellSources.code(cell)?.split("\n", line)[line - 1];
  const header = `${CYAN}${cell}, line ${line}${RESET}${where}`;
  if (text === undefined) return [header];
  const caret = `${" ".repeat(Math.max(0, Math.min(column, text.length)))}^`;
  return [header, `  ${line} | ${text}`, `  ${" ".repeat(String(line).length)} | ${caret}`];
}

/** "9 frames in @tensorflow/tfjs-core, 1 in stillroom", in the order they were met. */
function folded(libraries: Map<string, number>): string {
  const parts = [...libraries].map(([name, n], i) => (i === 0 ? `${n} frame${n === 1 ? "" : "s"} in ${name}` : `${n} in ${name}`));
  return `${DIM}... ${parts.join(", ")}${RESET}`;
}

/** The lines of a traceback for `error`, after its header line. */
export function frameLines(stack: string): string[] {
  const frames = stack
    .split("\n")
    .filter((l) => /^\s+at /.test(l))
    .map((l) => parseFrame(l.replace(/^\s+at /, "")))
    .filter((f) => f.kind !== "kernel");
  const own = (f: Frame) => f.kind === "cell" || f.kind === "user";
  // Nothing of the user's is on the stack: show it whole rather than fold it all away.
  if (!frames.some(own)) return frames.map((f) => `    at ${f.text}`);
  const first = frames.findIndex(own);
  const last = frames.length - 1 - [...frames].reverse().findIndex(own);
  const lines: string[] = [];
  const libraries = new Map<string, number>();
  let previous = "";
  let repeats = 0;
  const flushRepeats = () => {
    if (repeats) lines.push(`${DIM}    [the frame above repeats ${repeats} more time${repeats === 1 ? "" : "s"}]${RESET}`);
    repeats = 0;
  };
  for (const [i, f] of frames.entries()) {
    // A builtin between two frames of the user's (Array.prototype.map calling a callback) is
    // part of the story; elsewhere it is one more frame of machinery.
    const shown = own(f) || (f.kind === "builtin" && i > first && i < last);
    if (!shown) {
      const library = f.library ?? "node";
      libraries.set(library, (libraries.get(library) ?? 0) + 1);
      continue;
    }
    if (f.text === previous) {
      repeats++;
      continue;
    }
    flushRepeats();
    previous = f.text;
    if (f.kind === "cell") lines.push(...snippet(f.file, f.line, f.column - 1, f.name ? `, in ${f.name}` : ""));
    else lines.push(`    at ${f.text}`);
  }
  flushRepeats();
  if (libraries.size) lines.push(folded(libraries));
  return lines;
}

export function errorHeader(ename: string, evalue: string): string {
  return `${RED}${ename}${RESET}${evalue ? `: ${evalue}` : ""}`;
}
