// Threads for the wasm backend under Node. tfjs-backend-wasm ships a threaded SIMD build (XNNPACK
// on a pthreadpool of Web Workers) but turns it off in Node (tfjs issue #3830): its flag
// WASM_HAS_MULTITHREAD_SUPPORT answers false there, it hands Emscripten's pthread bootstrap to
// `new Worker("blob:...")`, which Node's worker_threads refuses, and it caps the pool at half of
// os.cpus() (hyper-threading), which is 1 on a 2-core machine.
//
// enableWasmThreads(n) fixes the three before the backend initializes: it sets the flag and
// setThreadsCount(n), installs a global `Worker` that Emscripten's Node path picks up (a
// worker_threads.Worker that runs the pthread bootstrap from source and receives the main script's
// text in its "load" message instead of a Blob, so nothing is written to disk), and reports 2n
// cores to the one os.cpus() call made while the module starts. Emscripten pre-spawns 8 workers
// (its PTHREAD_POOL_SIZE); once the backend has started they are unref'd, so they never keep the
// process alive.
import * as tf from "@tensorflow/tfjs-core";
import * as wasmBackend from "@tensorflow/tfjs-backend-wasm";
import { Worker as NodeWorker, type TransferListItem } from "node:worker_threads";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";

/** The most threads the shipped build can use (its pre-spawned worker pool). */
export const MAX_WASM_THREADS = 8;

// The free variables of the bundle's Emscripten factory (its rollup-bound Node modules), which the
// factory's source needs when a worker evaluates it on its own.
const PRELUDE =
  'var require$$0 = require("fs"), require$$1 = require("path"), require$$3 = require("perf_hooks"), ' +
  'require$$4 = require("os"), commonjsGlobal = globalThis;\n';

/** What the "load" message names instead of a script file: the worker evaluates the text it carries. */
const INLINE_SCRIPT = "stillroom:inline-main-script";

// After the bootstrap: its message handler (onmessage) keeps the text a "load" message carries,
// and importScripts, which the bootstrap defines as "read a file and eval it", evaluates that text
// when asked for INLINE_SCRIPT.
const AFTER_BOOTSTRAP = `
{
  const handle = self.onmessage;
  self.onmessage = (e) => {
    if (e.data && e.data.cmd === "load" && e.data.stillroomScript) self.stillroomScript = e.data.stillroomScript;
    return handle(e);
  };
  const fromFile = importScripts;
  importScripts = (f) => (f === ${JSON.stringify(INLINE_SCRIPT)} ? (0, eval)(self.stillroomScript) : fromFile(f));
}
`;

let workerSource: string | null = null;
// The workers stay ref'd while the backend starts (it awaits their "loaded" replies), unref'd after.
const workers: NodeWorker[] = [];
let started = false;
let mainScript: string | null = null;

/** Emscripten's pthread bootstrap, as the Node bundle embeds it (a string literal), wrapped as above. */
function pthreadBootstrap(): string {
  if (workerSource) return workerSource;
  const bundle = createRequire(import.meta.url).resolve("@tensorflow/tfjs-backend-wasm");
  const m = /^var wasmWorkerContents = (".*");$/m.exec(readFileSync(bundle, "utf8"));
  if (!m) throw new Error(`wasm threads: no pthread bootstrap (wasmWorkerContents) in ${bundle}`);
  // As tfjs does before making a Blob of it: keep "\n" escapes inside its own string literals.
  workerSource = (JSON.parse(m[1]!) as string).replace(/\n/g, "\\n") + AFTER_BOOTSTRAP;
  return workerSource;
}

type Pending = [unknown, readonly TransferListItem[] | undefined];

/** worker_threads.Worker that accepts the blob: URL and the Blob main script Emscripten uses. */
class PthreadWorker extends NodeWorker {
  private queue: Pending[] | null = null;

  constructor(url: string | URL, options?: object) {
    if (String(url).startsWith("blob:")) super(pthreadBootstrap(), { eval: true });
    else super(url, options);
    workers.push(this);
    if (started) this.unref();
  }

  // Emscripten listens for "message", which refs the port again: keep a started worker unref'd.
  // biome-ignore lint/suspicious/noExplicitAny: matches Worker.on's own signature
  override on(event: string | symbol, listener: (...args: any[]) => void): this {
    super.on(event, listener);
    if (started) this.unref();
    return this;
  }

  override postMessage(message: unknown, transfer?: readonly TransferListItem[]): void {
    if (this.queue) {
      this.queue.push([message, transfer]);
      return;
    }
    const msg = message as { cmd?: string; urlOrBlob?: unknown } | null;
    if (msg?.cmd === "load" && msg.urlOrBlob instanceof Blob) {
      if (mainScript) {
        super.postMessage({ ...msg, urlOrBlob: INLINE_SCRIPT, stillroomScript: mainScript }, transfer);
        return;
      }
      // The Blob's text arrives asynchronously; messages posted meanwhile wait, in order.
      this.queue = [[message, transfer]];
      void msg.urlOrBlob.text().then((text) => {
        mainScript ??= PRELUDE + text;
        const queued = this.queue!;
        this.queue = null;
        for (const [m, t] of queued) this.postMessage(m, t);
      });
      return;
    }
    super.postMessage(message, transfer);
  }
}

let requested = 0;

/**
 * Asks for n threads (1..8) in the wasm backend; call before the backend initializes. Returns
 * false (and changes nothing) when it already has.
 */
export function enableWasmThreads(n: number): boolean {
  if (!Number.isInteger(n) || n < 1 || n > MAX_WASM_THREADS) {
    throw new Error(`wasm threads = ${n}: expected an integer from 1 to ${MAX_WASM_THREADS}`);
  }
  if (wasmInitialized()) return false;
  requested = n;
  if (n === 1) {
    tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
    return true;
  }
  tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", true);
  wasmBackend.setThreadsCount(n);
  Object.defineProperty(globalThis, "Worker", { configurable: true, get: () => PthreadWorker, set: () => {} });
  return true;
}

/** Runs the wasm backend's initialization with os.cpus() reporting 2n cores (see the header). */
export async function withThreadCores<T>(init: () => Promise<T>): Promise<T> {
  if (requested < 2) return init();
  const cpus = os.cpus;
  const real = cpus();
  os.cpus = () => Array.from({ length: 2 * requested }, (_, i) => real[i % Math.max(1, real.length)]!);
  try {
    return await init();
  } finally {
    os.cpus = cpus;
    started = true;
    for (const w of workers) w.unref();
  }
}

export function wasmInitialized(): boolean {
  return tf.engine().registry.wasm !== undefined;
}

/** The threads XNNPACK's pool really has (1 when the backend is not initialized or not threaded). */
export function wasmThreads(): number {
  if (!wasmInitialized()) return 1;
  try {
    return Math.max(1, wasmBackend.getThreadsCount());
  } catch {
    return 1;
  }
}
