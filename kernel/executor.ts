// Runs cells in the kernel's own realm (so typed arrays and tensors from cells and packages are
// the same classes), keeps state in globals, and makes both a busy loop and a pending await
// interruptible.
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import vm from "node:vm";
import { resolve as resolveEsm } from "import-meta-resolve";
import { CellSyntaxError, type CompiledCell, compileCell } from "./rewrite.js";

export class InterruptError extends Error {
  constructor() {
    super("execution interrupted");
    this.name = "InterruptError";
  }
}

/** The error fields of an execute_reply and its iopub error message. */
export interface ErrorReport {
  ename: string;
  evalue: string;
  traceback: string[];
}

export interface CellResult {
  hasValue: boolean;
  value?: unknown;
}

const KERNEL_DIR = dirname(fileURLToPath(import.meta.url));
const RED = "\x1b[31m";
const CYAN = "\x1b[36m";
const RESET = "\x1b[0m";

/** Resolves specifiers from the notebook's folder, then from the kernel's own dependencies. */
export function resolveSpecifier(specifier: string, fromDir: string): string {
  const errors: string[] = [];
  for (const dir of [fromDir, KERNEL_DIR]) {
    const parent = pathToFileURL(join(dir, "noop.js")).href;
    try {
      return resolveEsm(specifier, parent);
    } catch (e) {
      errors.push((e as Error).message);
    }
    try {
      // Packages that export only a "require" condition.
      return pathToFileURL(createRequire(parent).resolve(specifier)).href;
    } catch {
      /* keep the ESM resolver's message */
    }
  }
  throw new Error(`Cannot find module '${specifier}' from ${fromDir} or the kernel's packages: ${errors[0]}`);
}

/** Named imports from CommonJS modules whose exports Node could not detect statically. */
function interop(ns: Record<string, unknown>): Record<string, unknown> {
  const fallback = ns.default;
  if (fallback === null || (typeof fallback !== "object" && typeof fallback !== "function")) return ns;
  return new Proxy(ns, {
    get: (target, key) => (key in target ? target[key as string] : (fallback as Record<string | symbol, unknown>)[key]),
  });
}

/** Cancels the await a cell is blocked on; one per process, as there is one main thread. */
let cancelPending: (() => void) | null = null;
let sigintListening = false;

function listenForSigint(): void {
  if (sigintListening) return;
  sigintListening = true;
  // A frontend's SIGINT, or the IO thread's on interrupt_request. While a synchronous script
  // runs, vm's breakOnSigint takes the signal instead; this cancels a pending await.
  process.on("SIGINT", () => cancelPending?.());
}

export class Executor {
  private cellCount = 0;
  private readonly sources = new Map<string, string[]>();

  constructor(readonly cwd: string = process.cwd()) {
    const helper = {
      import: (specifier: string) => import(resolveSpecifier(specifier, this.cwd)),
      interop,
      importMeta: { url: pathToFileURL(join(this.cwd, "notebook.ts")).href, dirname: this.cwd, filename: join(this.cwd, "notebook.ts") },
    };
    Object.defineProperty(globalThis, "__stillroom", { value: helper, enumerable: false, configurable: true });
    Object.defineProperty(globalThis, "require", {
      value: createRequire(join(this.cwd, "notebook.js")),
      writable: true,
      configurable: true,
    });
    listenForSigint();
  }

  /** Runs one cell; throws what the cell threw, InterruptError, or CellSyntaxError. */
  async run(code: string, executionCount: number | null): Promise<CellResult> {
    const filename = `In[${executionCount ?? `*${++this.cellCount}`}]`;
    this.sources.set(filename, code.split("\n"));
    const compiled: CompiledCell = compileCell(code);
    const script = new vm.Script(compiled.js, { filename });
    let value: unknown;
    try {
      value = script.runInThisContext({ breakOnSigint: true, displayErrors: false });
    } catch (e) {
      throw isInterrupt(e) ? new InterruptError() : e;
    }
    if (compiled.isAsync) value = await this.interruptible(value as Promise<unknown>);
    return compiled.hasResult ? { hasValue: true, value } : { hasValue: false };
  }

  private interruptible<T>(promise: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      cancelPending = () => reject(new InterruptError());
      promise.then(resolve, (e) => reject(isInterrupt(e) ? new InterruptError() : e));
    }).finally(() => {
      cancelPending = null;
    });
  }

  /** ename/evalue/traceback naming cell lines, with the kernel's own frames removed. */
  report(error: unknown): ErrorReport {
    if (error instanceof CellSyntaxError) {
      const cell = [...this.sources.keys()].pop() ?? "In[?]";
      return {
        ename: "SyntaxError",
        evalue: error.message,
        traceback: [`${RED}SyntaxError${RESET}: ${error.message}`, ...this.snippet(cell, error.line, error.column)],
      };
    }
    if (!(error instanceof Error)) {
      const evalue = typeof error === "string" ? error : safeInspect(error);
      return { ename: "Uncaught", evalue, traceback: [`${RED}Uncaught${RESET} ${evalue}`] };
    }
    if (error instanceof InterruptError)
      return { ename: error.name, evalue: error.message, traceback: [`${RED}${error.name}${RESET}: ${error.message}`] };
    const ename = error.name || "Error";
    const evalue = error.message;
    const traceback = [`${RED}${ename}${RESET}: ${evalue}`];
    const frames = (error.stack ?? "").split("\n").filter((l) => /^\s+at /.test(l));
    let shownSource = false;
    for (const frame of frames) {
      if (this.isKernelFrame(frame)) continue;
      traceback.push(frame.replace(/^\s+/, "    "));
      const at = /(In\[[^\]]+\]):(\d+):(\d+)/.exec(frame);
      if (at && !shownSource) {
        traceback.push(...this.snippet(at[1]!, Number(at[2]), Number(at[3]) - 1));
        shownSource = true;
      }
    }
    return { ename, evalue, traceback };
  }

  private isKernelFrame(frame: string): boolean {
    return frame.includes("node:internal") || frame.includes("node:vm") || frame.includes(KERNEL_DIR) || frame.includes("__stillroom");
  }

  private snippet(cell: string, line: number, column: number): string[] {
    const lines = this.sources.get(cell);
    const text = lines?.[line - 1];
    if (text === undefined) return [];
    const caret = `${" ".repeat(Math.max(0, Math.min(column, text.length)))}^`;
    return [`${CYAN}${cell}, line ${line}${RESET}`, `  ${line} | ${text}`, `  ${" ".repeat(String(line).length)} | ${caret}`];
  }
}

function isInterrupt(e: unknown): boolean {
  return e instanceof InterruptError || (e as { code?: string })?.code === "ERR_SCRIPT_EXECUTION_INTERRUPTED";
}

function safeInspect(value: unknown): string {
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
