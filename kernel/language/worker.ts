// The language service's thread: loading TypeScript (~0.5 s) and type checking stay off the kernel's
// main thread, which runs cells. Requests arrive in order over postMessage and are answered by id;
// a request that throws is answered with its error, and the thread goes on.
import { parentPort, workerData } from "node:worker_threads";
import { NotebookLanguage } from "./notebook.js";
import { log } from "../log.js";

export type LanguageMethod = "addCell" | "complete" | "inspect" | "diagnostics";

/** Main thread -> worker, one request or several in order. addCell has no id: nothing waits for it. */
export interface LanguageRequest {
  id?: number;
  method: LanguageMethod;
  args: unknown[];
}

/** Worker -> main thread. */
export type LanguageResponse =
  /** Wall-clock times (performance.timeOrigin + now, ms): imports (TypeScript) loaded, warm-up done. */
  | { kind: "ready"; importedAt: number; readyAt: number }
  | { kind: "result"; id: number; value: unknown }
  | { kind: "error"; id: number; message: string };

export interface LanguageWorkerData {
  cwd?: string;
}

if (!parentPort) throw new Error("language/worker.ts runs as a worker thread (see client.ts)");
const port = parentPort;

// Anything written to this thread's stdout or stderr would reach the main thread's streams, which
// carry the running cell's output: send it to the kernel's log instead.
for (const stream of [process.stdout, process.stderr]) {
  stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    log(`language worker: ${(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString()).trimEnd()}`);
    const callback = rest.find((r) => typeof r === "function") as (() => void) | undefined;
    callback?.();
    return true;
  }) as typeof stream.write;
}

const importedAt = performance.timeOrigin + performance.now();
const data = (workerData ?? {}) as LanguageWorkerData;
const service = new NotebookLanguage({ cwd: data.cwd });

function call(request: LanguageRequest): unknown {
  const args = request.args;
  switch (request.method) {
    case "addCell":
      return service.addCell(String(args[0]));
    case "complete":
      return service.complete(String(args[0]), Number(args[1]));
    case "inspect":
      return service.inspect(String(args[0]), Number(args[1]), Number(args[2] ?? 0));
    case "diagnostics":
      return service.diagnostics(String(args[0]));
    default:
      throw new Error(`unknown language method ${JSON.stringify(request.method)}`);
  }
}

port.on("message", (requests: LanguageRequest | LanguageRequest[]) => {
  for (const request of Array.isArray(requests) ? requests : [requests]) answer(request);
});

function answer(request: LanguageRequest): void {
  try {
    const value = call(request);
    if (request.id !== undefined) port.postMessage({ kind: "result", id: request.id, value } satisfies LanguageResponse);
  } catch (e) {
    const message = (e as Error)?.stack ?? String(e);
    if (request.id !== undefined) port.postMessage({ kind: "error", id: request.id, message } satisfies LanguageResponse);
    else log(`language service: ${request.method} failed: ${message}`);
  }
}

// Requests that arrived meanwhile wait in the port's queue and run right after.
try {
  service.warmUp();
} catch (e) {
  log(`language service: warm-up failed: ${(e as Error)?.stack ?? e}`);
}
port.postMessage({ kind: "ready", importedAt, readyAt: performance.timeOrigin + performance.now() } satisfies LanguageResponse);
