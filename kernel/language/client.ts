// The main thread's side of the language service: starts worker.js and forwards each
// LanguageTools call to it by request id. This file never loads TypeScript.
//
// Failures stay small: a call the worker cannot answer rejects (the handler then falls back to
// runtime completion); a call that takes too long rejects, and the worker, presumed stuck, is
// replaced. A worker that dies rejects what was waiting, and until a replacement is ready (its
// cells replayed) every call rejects at once. After maxRestarts replacements it stays down and
// calls keep rejecting at once. The worker holds the process open only while a call waits.
import { Worker } from "node:worker_threads";
import type { LanguageTools } from "../handler.js";
import type { LanguageMethod, LanguageRequest, LanguageResponse, LanguageWorkerData } from "./worker.js";
import { log } from "../log.js";
import { CheckedCells } from "./checked-cells.js";

/** A timeout that fires this much later than due means the thread was held (see deadline). */
const LATE_MS = 250;

export interface LanguageClientOptions {
  /** The notebook's folder (imports resolve from it); defaults to process.cwd(). */
  cwd?: string;
  /** How long one call may take once the worker is warm, in ms (default 10 s). */
  timeoutMs?: number;
  /** The same before the worker's warm-up is done: the first call waits for it (default 60 s). */
  startTimeoutMs?: number;
  /**
   * How many times a dead worker is replaced within `restartWindowMs` (default 2 in 10 minutes): a
   * worker that keeps dying stops being replaced, while one stopped now and then (a check that ran
   * past the timeout on a machine busy with training) is replaced however long the kernel lives.
   */
  maxRestarts?: number;
  restartWindowMs?: number;
  /**
   * The worker's heap limit in MB (default 384; TypeScript with the SDK's types holds about 100).
   * V8 collects against it, so the worker's memory stays bounded however many cells run; a worker
   * that truly needs more dies and is replaced like any other.
   */
  heapMb?: number;
}

/** How long the worker took (ms): from spawn to TypeScript loaded, then the warm-up, and spawn to ready in all. */
export interface ReadyTimes {
  importMs: number;
  warmMs: number;
  wallMs: number;
}

interface Pending {
  // biome-ignore lint/suspicious/noExplicitAny: each request type resolves with its own reply type
  resolve: (value: any) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export class LanguageClient implements LanguageTools {
  private worker: Worker | null = null;
  private ready = false;
  private replacing = false;
  private closed = false;
  /** When each replacement started, within the last restartWindowMs. */
  private restarts: number[] = [];
  private nextId = 1;
  private downReason = "language worker is not running";
  /** A diagnostics call is waiting for the worker. */
  private checking = false;
  /** Answers that the cells added since cannot have changed. */
  private readonly checked = new CheckedCells();
  private readonly pending = new Map<number, Pending>();
  /** Every cell added, to replay into a replacement worker. */
  private readonly cells: string[] = [];
  /**
   * Cells added since the last message to the worker: nothing waits on them, so they go with the
   * next request, in the same message (one wake of the worker per cell rather than two).
   */
  private unsent: string[] = [];
  private readonly cwd: string;
  private readonly timeoutMs: number;
  private readonly startTimeoutMs: number;
  private readonly maxRestarts: number;
  private readonly restartWindowMs: number;
  private readonly heapMb: number;
  private readyWaiters: ((times: ReadyTimes) => void)[] = [];
  /** Whether a worker is loaded and answering (diagnostics are not worth waiting for before). */
  get isReady(): boolean {
    return this.ready;
  }

  /** Set once the current worker is ready. */
  times: ReadyTimes | null = null;

  constructor(options: LanguageClientOptions = {}) {
    this.cwd = options.cwd ?? process.cwd();
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.startTimeoutMs = options.startTimeoutMs ?? 60_000;
    this.maxRestarts = options.maxRestarts ?? 2;
    this.restartWindowMs = options.restartWindowMs ?? 10 * 60_000;
    this.heapMb = options.heapMb ?? 384;
  }

  /** The worker thread now serving calls (tests use it to kill the worker). */
  get thread(): Worker | null {
    return this.worker;
  }

  start(): void {
    if (this.closed || this.worker) return;
    const spawnedAt = performance.timeOrigin + performance.now();
    const workerData: LanguageWorkerData = { cwd: this.cwd };
    // The worker sends its own stdout and stderr to the kernel's log (piping them here would keep
    // the process alive, and output through this thread's streams would land in a cell's output).
    const worker = new Worker(new URL("./worker.js", import.meta.url), {
      workerData,
      resourceLimits: { maxOldGenerationSizeMb: this.heapMb },
    });
    worker.on("message", (m: LanguageResponse) => this.onMessage(worker, m, spawnedAt));
    worker.on("error", (e) => this.down(worker, `language worker failed: ${e?.stack ?? e}`));
    worker.on("exit", (code) => this.down(worker, `language worker exited with code ${code}`));
    this.worker = worker;
    this.ready = false;
    this.unsent = [];
    if (this.cells.length) worker.postMessage(addCellRequests(this.cells));
    this.holdOpen();
  }

  /** Resolves when the current worker has loaded TypeScript and warmed up. */
  whenReady(): Promise<ReadyTimes> {
    if (this.ready && this.times) return Promise.resolve(this.times);
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  addCell(code: string): void {
    this.cells.push(code);
    this.checked.added(code);
    if (this.closed || !this.worker) return;
    this.unsent.push(code);
    // cells answered from `checked` send no request to carry them: past a few dozen, they go alone
    if (this.unsent.length >= 64 && !this.replacing) this.flushUnsent(this.worker);
  }

  private flushUnsent(worker: Worker): void {
    worker.postMessage(addCellRequests(this.unsent));
    this.unsent = [];
  }

  complete(code: string, cursor: number): Promise<{ matches: string[]; start: number; end: number }> {
    return this.call("complete", [code, cursor]);
  }

  inspect(code: string, cursor: number, detailLevel: number): Promise<Record<string, string> | null> {
    return this.call("inspect", [code, cursor, detailLevel]);
  }

  /**
   * Type errors of the next cell. One check at a time: a cell that comes while the worker is
   * still checking an earlier one goes unchecked, so a fast run of cells never queues work (and
   * memory) in the worker faster than it can answer. A cell checked before, with no cell added
   * since that may declare something, has its answer at once.
   */
  diagnostics(code: string): Promise<string[]> {
    const known = this.checked.get(code);
    if (known) return Promise.resolve(known);
    if (this.checking) return Promise.resolve([]);
    this.checking = true;
    return this.call<string[]>("diagnostics", [code])
      .then((warnings) => {
        this.checked.set(code, warnings);
        return warnings;
      })
      .finally(() => {
        this.checking = false;
      });
  }

  /** Stops the worker; later calls reject at once. */
  async close(): Promise<void> {
    this.closed = true;
    this.downReason = "language service closed";
    const worker = this.worker;
    this.worker = null;
    this.rejectAll(this.downReason);
    if (worker) await worker.terminate();
  }

  private call<T>(method: LanguageMethod, args: unknown[]): Promise<T> {
    const worker = this.worker;
    if (this.closed || !worker || this.replacing) return Promise.reject(new Error(this.downReason));
    const id = this.nextId++;
    const ms = this.ready ? this.timeoutMs : this.startTimeoutMs;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, timer: this.deadline(worker, id, method, ms) });
      this.holdOpen();
      const added = addCellRequests(this.unsent);
      this.unsent = [];
      try {
        worker.postMessage([...added, { id, method, args } satisfies LanguageRequest]);
      } catch (e) {
        this.settle(id)?.reject(e as Error);
      }
    });
  }

  private onMessage(worker: Worker, m: LanguageResponse, spawnedAt: number): void {
    if (worker !== this.worker) return;
    if (m.kind === "ready") {
      this.ready = true;
      this.replacing = false;
      this.times = {
        importMs: m.importedAt - spawnedAt,
        warmMs: m.readyAt - m.importedAt,
        wallMs: performance.timeOrigin + performance.now() - spawnedAt,
      };
      for (const resolve of this.readyWaiters.splice(0)) resolve(this.times);
      return;
    }
    const pending = this.settle(m.id);
    if (!pending) return;
    if (m.kind === "result") pending.resolve(m.value);
    else pending.reject(new Error(m.message));
  }

  private settle(id: number): Pending | undefined {
    const pending = this.pending.get(id);
    if (!pending) return undefined;
    this.pending.delete(id);
    clearTimeout(pending.timer);
    this.holdOpen();
    return pending;
  }

  /**
   * The timer after which call `id` counts as stuck. A cell can hold this thread for minutes (a
   * training loop that awaits only promises never lets the event loop turn), and when it lets go
   * the expired timer runs before the worker's answer, already waiting in the port, is read. So
   * the verdict waits for this turn's messages (setImmediate runs after them), and a timer that
   * fired more than LATE_MS late starts again: the worker is judged on time the thread could
   * have heard it.
   */
  private deadline(worker: Worker, id: number, method: string, ms: number): NodeJS.Timeout {
    const due = performance.now() + ms;
    const timer = setTimeout(
      () =>
        setImmediate(() => {
          const pending = this.pending.get(id);
          if (!pending) return;
          if (performance.now() - due > LATE_MS) pending.timer = this.deadline(worker, id, method, ms);
          else this.timedOut(worker, id, method, ms);
        }),
      ms,
    );
    timer.unref();
    return timer;
  }

  private timedOut(worker: Worker, id: number, method: string, ms: number): void {
    const pending = this.settle(id);
    if (!pending) return;
    pending.reject(new Error(`language service: ${method} took more than ${ms} ms`));
    if (worker === this.worker) {
      log(`language service: ${method} took more than ${ms} ms; stopping its worker`);
      void worker.terminate();
    }
  }

  private down(worker: Worker, reason: string): void {
    if (worker !== this.worker) return;
    this.worker = null;
    this.ready = false;
    this.downReason = reason;
    this.rejectAll(reason);
    if (this.closed) return;
    log(`language service: ${reason}`);
    const now = performance.now();
    this.restarts = this.restarts.filter((t) => now - t < this.restartWindowMs);
    if (this.restarts.length < this.maxRestarts) {
      this.restarts.push(now);
      this.replacing = true;
      this.start();
    } else {
      this.replacing = false;
    }
  }

  private rejectAll(reason: string): void {
    for (const id of [...this.pending.keys()]) this.settle(id)?.reject(new Error(reason));
  }

  /** The worker keeps the process alive only while a call waits on it. */
  private holdOpen(): void {
    if (!this.worker) return;
    if (this.pending.size) this.worker.ref();
    else this.worker.unref();
  }
}

/**
 * Starts the worker and returns at once: cells added meanwhile queue in the worker, and the first
 * call waits for its warm-up (about a second).
 */
/** The worker's requests that add these cells, in order (addCell has no id: nothing waits for it). */
function addCellRequests(cells: string[]): LanguageRequest[] {
  return cells.map((code) => ({ method: "addCell", args: [code] }));
}

export async function startLanguageService(options: LanguageClientOptions = {}): Promise<LanguageClient> {
  const client = new LanguageClient(options);
  client.start();
  return client;
}
