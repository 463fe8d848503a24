// Runs cells in the kernel's own realm (so typed arrays and tensors from cells and packages are
// the same classes), keeps state in globals, and makes a cell interruptible wherever it is: a busy
// loop (vm's breakOnSigint), a pending await, code that never yields after an await (interrupt.ts).
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import vm from "node:vm";
import { resolve as resolveEsm } from "import-meta-resolve";
import { BEFORE_TERMINATION, IDLE, type InterruptNotice, RUNNING, Slot, TERMINATING, sharedInterrupts } from "./interrupt.js";
import { CellSyntaxError, type CompiledCell, compileCell } from "./rewrite.js";
import { type CellScope, cellStorage } from "./scope.js";
import { holdSigintWatchdog, releaseSigintWatchdog, takePendingSigint } from "./sigint.js";
import { cellSources, installStackTraces } from "./stack.js";
import { markEngine, restoreEngine } from "./tensors.js";
import { errorHeader, frameLines, snippet } from "./traceback.js";

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

/** The integers the main thread shares with the IO thread (interrupt.ts); made here, on the main thread. */
const interrupts = sharedInterrupts();

/** How long an interrupted cell's own work has to settle (an SDK loop's error names the step). */
const SETTLE_AFTER_INTERRUPT_MS = 300;
/** How long a cell that lost the race to the IO thread waits for its termination. */
const TERMINATION_WAIT_MS = 5000;

interface Running {
  cell: number;
  scope: CellScope | undefined;
  /** Stops the cell: its signal aborts, its pending await rejects. */
  interrupt(): void;
  /** Ends the cell with InterruptError: its JavaScript was terminated. */
  terminated(): void;
}

let sigintListening = false;
let running: Running | null = null;

/** How often a cell that awaits looks for a SIGINT the watchdog kept (sigint.ts). */
const SIGINT_POLL_MS = 50;
/** Whether the held watchdog owns SIGINT (else a 'SIGINT' listener does). */
let watchdogHeld = false;

/**
 * While a synchronous script runs, vm's breakOnSigint takes the signal. Otherwise a signal from
 * outside (a frontend in signal mode, a terminal) interrupts the running cell; the IO thread's
 * own SIGINT comes with a message that does the same, so it is passed over here.
 */
function onSigint(): void {
  if (Atomics.exchange(interrupts, Slot.OwnSignal, 0) === 1) return;
  running?.interrupt();
}

function listenForSigint(): void {
  if (sigintListening) return;
  sigintListening = true;
  watchdogHeld = holdSigintWatchdog();
  if (!watchdogHeld) process.on("SIGINT", onSigint);
}

/** Before each cell: a SIGINT that came while nothing ran interrupted nothing, and must not stop it. */
function sigintRoute(): void {
  if (!watchdogHeld) return;
  if (process.listenerCount("SIGINT") > 0) {
    // A cell listens for SIGINT itself: back to Node's way for the kernel's life (sigint.ts).
    releaseSigintWatchdog();
    watchdogHeld = false;
    process.on("SIGINT", onSigint);
    return;
  }
  takePendingSigint();
}

/** Looks, while a cell awaits, for a SIGINT that came when no script ran; returns the stop. */
function pollSigint(): () => void {
  if (!watchdogHeld) return () => {};
  // The kernel's own timer, outside the cell's context: interrupting the cell drops the cell's timers.
  const timer = cellStorage.exit(() =>
    setInterval(() => {
      if (takePendingSigint()) onSigint();
    }, SIGINT_POLL_MS).unref(),
  );
  return () => clearInterval(timer);
}

/** The IO thread's notices, posted to the main thread (server.ts passes them on). */
export function onInterruptNotice(notice: InterruptNotice): void {
  if (notice.kind === "interrupt") {
    Atomics.store(interrupts, Slot.OwnSignal, 0);
    if (running?.cell === notice.cell) running.interrupt();
    Atomics.store(interrupts, Slot.Ack, notice.seq);
  } else {
    afterTermination();
    Atomics.compareExchange(interrupts, Slot.State, TERMINATING, IDLE);
    if (running?.cell === notice.cell) running.terminated();
    else restoreEngine(undefined);
  }
}

/** Whether the IO thread has asked to stop `cell` (read without the event loop: see interrupt.ts). */
export function interruptRequested(cell: number): boolean {
  return cell !== 0 && Atomics.load(interrupts, Slot.Target) === cell;
}

let cellCounter = 0;

/** The engine mark of the last cell that was asked to stop, until the next cell starts: a
 *  termination can land after that cell's own clean-up (its JavaScript was still running), so the
 *  next cell closes what is left before it takes its own mark. */
let stoppedMark: { mark: ReturnType<typeof markEngine> } | null = null;

interface AsyncWrapBinding {
  clearAsyncIdStack(): void;
  getPromiseHooks(): unknown[];
  setPromiseHooks(...hooks: unknown[]): void;
  async_hook_fields: Uint32Array;
}

/**
 * Node's async-context bookkeeping. Only this legacy binding can empty the stack (as Node itself
 * does after an uncaught error) and take the promise hooks off at once.
 */
function asyncWrap(): AsyncWrapBinding {
  const quiet = process.noDeprecation;
  process.noDeprecation = true;
  try {
    return (process as unknown as { binding(name: string): AsyncWrapBinding }).binding("async_wrap");
  } finally {
    process.noDeprecation = quiet;
  }
}

/** async_hook_fields[kTotals]: how many hooks are on. */
const K_TOTALS = 5;
/** Promise hooks taken off before a termination, for hooks that must stay on after it. */
let savedPromiseHooks: unknown[] | null = null;

/**
 * Node's async-hook code. JavaScript terminated there (an AsyncLocalStorage's init hook
 * runs on every promise a loop of awaits makes) leaves Node's own bookkeeping half-updated for good:
 * the hooks' call depth stays raised, so later enables and disables go to a copy of the hook arrays
 * that is never put back, and Node aborts at the end of a later callback when it finds an async id
 * on the stack it should have emptied. No public API resets it, so the termination must land
 * elsewhere: the hook says "not here" and the IO thread asks again a moment later.
 */
const ASYNC_HOOK_FILES = new Set(["node:async_hooks", "node:internal/async_hooks"]);

/** Whether Node's async-hook code is on the stack under the IO thread's inspector request, read
 *  from the call sites themselves (the kernel's own stack formatting plays no part). */
function insideAsyncHooks(): boolean {
  const { stackTraceLimit, prepareStackTrace } = Error;
  Error.stackTraceLimit = 200;
  Error.prepareStackTrace = (_, sites) => sites.some((s) => ASYNC_HOOK_FILES.has(s.getFileName() ?? ""));
  try {
    return new Error().stack as unknown as boolean;
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
    Error.prepareStackTrace = prepareStackTrace;
  }
}

Object.defineProperty(globalThis, Symbol.for(BEFORE_TERMINATION), {
  /** true: ready, terminate now; false: inside Node's async-hook code, ask again (`anywhere`: do not). */
  value: (anywhere = false): boolean => {
    if (!anywhere && insideAsyncHooks()) return false;
    const binding = asyncWrap();
    // Off first, so the continuations that still run before the termination lands (a loop of
    // awaits) push nothing more; the next request's runInScope turns the hooks back on.
    savedPromiseHooks = binding.getPromiseHooks();
    cellStorage.disable();
    binding.setPromiseHooks(undefined, undefined, undefined, undefined);
    binding.clearAsyncIdStack();
    return true;
  },
  configurable: true,
});

/** After a termination: promise hooks that another async hook still needs go back on. */
function afterTermination(): void {
  const binding = asyncWrap();
  if (savedPromiseHooks && binding.async_hook_fields[K_TOTALS]! > 0) binding.setPromiseHooks(...savedPromiseHooks);
  savedPromiseHooks = null;
}

export class Executor {
  private cellCount = 0;
  /** The script name of the latest cell (a syntax error is always the latest cell's). */
  private latest = "In[?]";

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
    installStackTraces();
  }

  /** Runs one cell; throws what the cell threw, InterruptError, or CellSyntaxError. */
  async run(code: string, executionCount: number | null): Promise<CellResult> {
    const filename = `In[${executionCount ?? `*${++this.cellCount}`}]`;
    cellSources.add(filename, code);
    this.latest = filename;
    const compiled: CompiledCell = compileCell(code);
    const script = new vm.Script(compiled.js, { filename });
    const { value } = await this.interruptibly(
      () => script.runInThisContext({ breakOnSigint: true, displayErrors: false }),
      compiled.isAsync,
    );
    return compiled.hasResult ? { hasValue: true, value } : { hasValue: false };
  }

  /** Evaluates an expression (user_expressions) as interruptibly as a cell. */
  async evaluate(expression: string): Promise<unknown> {
    const script = new vm.Script(expression, { filename: "user_expressions" });
    return (await this.interruptibly(() => script.runInThisContext({ breakOnSigint: true, displayErrors: false }), false)).value;
  }

  /**
   * Runs user code as the cell now running: an interrupt stops it wherever it is (interrupt.ts),
   * and leaves TensorFlow.js's engine as it was before.
   */
  private interruptibly(start: () => unknown, isAsync: boolean): Promise<{ value: unknown }> {
    const cell = ++cellCounter;
    const scope = cellStorage.getStore();
    if (scope) scope.cell = cell;
    if (stoppedMark) restoreEngine(stoppedMark.mark);
    stoppedMark = null;
    const mark = markEngine();
    let stopAsked = false;
    sigintRoute();
    Atomics.store(interrupts, Slot.Cell, cell);
    Atomics.store(interrupts, Slot.State, RUNNING);
    // The value goes in a box: a cell whose value is a promise must not be awaited here.
    return new Promise<{ value: unknown }>((resolve, reject) => {
      let done = false;
      let stopPolling = () => {};
      const finish = (failed: boolean, payload: unknown) => {
        if (done) return;
        stopPolling();
        if (Atomics.compareExchange(interrupts, Slot.State, RUNNING, IDLE) === TERMINATING) {
          // The IO thread is stopping this thread's JavaScript right now: let it land here,
          // where it stops nothing of the kernel's; the "terminated" notice ends the cell.
          const until = Date.now() + TERMINATION_WAIT_MS;
          while (Atomics.load(interrupts, Slot.State) === TERMINATING && Date.now() < until)
            Atomics.wait(interrupts, Slot.State, TERMINATING, 50);
          Atomics.store(interrupts, Slot.State, IDLE);
        }
        done = true;
        if (running?.cell === cell) running = null;
        if (payload instanceof InterruptError || stopAsked) {
          restoreEngine(mark);
          stoppedMark = { mark };
        }
        if (failed) reject(payload);
        else resolve({ value: payload });
      };
      let pending: Promise<unknown> | null = null;
      running = {
        cell,
        scope,
        interrupt: () => {
          stopAsked = true;
          stoppedMark = { mark };
          scope?.controller.abort();
          if (!pending) return finish(true, new InterruptError());
          // The cell's own work may stop by itself (an SDK loop names the step it stopped at).
          const timer = setTimeout(() => finish(true, new InterruptError()), SETTLE_AFTER_INTERRUPT_MS);
          pending.then(
            () => finish(true, new InterruptError()),
            (e) => finish(true, isInterrupt(e) ? new InterruptError() : e),
          );
          pending.finally(() => clearTimeout(timer)).catch(() => {});
        },
        terminated: () => {
          stopAsked = true;
          stoppedMark = { mark };
          scope?.controller.abort();
          finish(true, new InterruptError());
        },
      };
      let value: unknown;
      try {
        value = start();
      } catch (e) {
        return finish(true, isInterrupt(e) ? new InterruptError() : e);
      }
      if (!isAsync) return finish(false, value);
      stopPolling = pollSigint();
      pending = Promise.resolve(value);
      pending.then(
        (v) => finish(false, v),
        (e) => finish(true, isInterrupt(e) ? new InterruptError() : e),
      );
    });
  }

  /** ename/evalue/traceback: the user's frames with their cell lines, library frames folded. */
  report(error: unknown): ErrorReport {
    if (error instanceof CellSyntaxError) {
      return {
        ename: "SyntaxError",
        evalue: error.message,
        traceback: [errorHeader("SyntaxError", error.message), ...snippet(this.latest, error.line, error.column)],
      };
    }
    if (!(error instanceof Error)) {
      const evalue = typeof error === "string" ? error : safeInspect(error);
      return { ename: "Uncaught", evalue, traceback: [`${errorHeader("Uncaught", "")} ${evalue}`] };
    }
    const ename = error.name || "Error";
    const evalue = error.message;
    if (error instanceof InterruptError) return { ename, evalue, traceback: [errorHeader(ename, evalue)] };
    let stack = "";
    try {
      stack = String(error.stack ?? "");
    } catch {
      /* a stack getter that throws: the message alone */
    }
    return { ename, evalue, traceback: [errorHeader(ename, evalue), ...frameLines(stack)] };
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
