// The kernel process: the IO thread owns the sockets; this (main) thread runs cells.
// stdout/stderr writes become stream messages of the cell that made them, and errors that
// escape a cell (a throwing timer, an unhandled rejection) are reported, never fatal.
import { randomUUID } from "node:crypto";
import { Worker } from "node:worker_threads";
import type { ConnectionInfo } from "./connection.js";
import { Handler, type LanguageTools, type TypecheckMode } from "./handler.js";
import type { FromIo, IoThreadData, ToIo } from "./io-thread.js";
import { log } from "./log.js";
import { installGlobals, loadGlobalsFor } from "./preload.js";
import { currentScope } from "./scope.js";

function captureStream(stream: NodeJS.WriteStream, name: "stdout" | "stderr"): void {
  const original = stream.write.bind(stream);
  stream.write = ((chunk: unknown, encoding?: unknown, callback?: unknown): boolean => {
    const scope = currentScope();
    if (!scope) return original(chunk as string, encoding as BufferEncoding, callback as () => void);
    const text = typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString(typeof encoding === "string" ? (encoding as BufferEncoding) : "utf8");
    scope.write(name, text);
    const done = typeof encoding === "function" ? encoding : callback;
    if (typeof done === "function") queueMicrotask(() => (done as () => void)());
    return true;
  }) as typeof stream.write;
}

function reportEscaped(kind: string, error: unknown): void {
  const scope = currentScope();
  const text = error instanceof Error ? (error.stack ?? String(error)) : String(error);
  if (scope) scope.write("stderr", `${kind}: ${text}\n`);
  else log(`${kind}: ${text}`);
}

export interface KernelOptions {
  connection: ConnectionInfo;
  version: string;
  typecheck?: TypecheckMode;
  language?: () => Promise<LanguageTools>;
}

export async function startKernel(options: KernelOptions): Promise<void> {
  const session = randomUUID();
  const workerData: IoThreadData = { connection: options.connection, session, version: options.version };
  const io = new Worker(new URL("./io-thread.js", import.meta.url), { workerData, stdout: false, stderr: false });
  const post = (m: ToIo) => io.postMessage(m);
  const handler = new Handler({
    session,
    outbox: (channel, msg) => post({ kind: "send", channel, msg }),
    typecheck: options.typecheck,
    prepare: loadGlobalsFor,
  });
  installGlobals(handler);
  captureStream(process.stdout, "stdout");
  captureStream(process.stderr, "stderr");
  process.on("uncaughtException", (e) => reportEscaped("Uncaught error after the cell ended", e));
  process.on("unhandledRejection", (e) => reportEscaped("Unhandled promise rejection", e));

  await new Promise<void>((resolve, reject) => {
    io.on("error", (e) => {
      log(`IO thread failed: ${e.stack}`);
      process.exit(1);
    });
    io.on("message", (m: FromIo) => {
      switch (m.kind) {
        case "bound":
          resolve();
          break;
        case "fatal":
          reject(new Error(m.error));
          break;
        case "message":
          m.msg.identities = m.msg.identities.map((b) => Buffer.from(b));
          m.msg.buffers = m.msg.buffers.map((b) => Buffer.from(b));
          void handler.receive(m.channel, m.msg);
          break;
        case "shutdown":
          post({ kind: "close" });
          setTimeout(() => process.exit(0), 50);
          break;
      }
    });
  });

  // The language service is heavy; it loads once the kernel is answering.
  if (options.language) {
    setTimeout(() => {
      options.language!().then(
        (tools) => (handler.language = tools),
        (e) => log(`language service unavailable: ${(e as Error).message}`),
      );
    }, 200).unref();
  }
}
