// The kernel process: the IO thread owns the sockets; this (main) thread runs cells.
import { randomUUID } from "node:crypto";
import { Worker } from "node:worker_threads";
import type { ConnectionInfo } from "./connection.js";
import { sharedInterrupts } from "./interrupt.js";
import type { LanguageTools, TypecheckMode } from "./handler.js";
import type { FromIo, IoThreadData, ToIo } from "./io-thread.js";
import { log } from "./log.js";

export interface KernelOptions {
  connection: ConnectionInfo;
  version: string;
  typecheck?: TypecheckMode;
  language?: () => Promise<LanguageTools>;
}

export async function startKernel(options: KernelOptions): Promise<void> {
  const session = randomUUID();
  const interrupts = sharedInterrupts();
  const workerData: IoThreadData = { connection: options.connection, session, version: options.version, interrupts };
  const io = new Worker(new URL("./io-thread.js", import.meta.url), { workerData, stdout: false, stderr: false });
  const post = (m: ToIo) => io.postMessage(m);
  io.on("error", (e) => {
    log(`IO thread failed: ${e.stack}`);
    process.exit(1);
  });
  // The IO thread boots (and answers kernel_info) while this thread loads the cell machinery;
  // requests that arrive meanwhile wait here.
  const early: FromIo[] = [];
  const buffer = (m: FromIo) => void early.push(m);
  io.on("message", buffer);
  const [{ Handler }, { installGlobals, loadGlobalsFor }, { installOutputCapture }, { onInterruptNotice }] = await Promise.all([
    import("./handler.js"),
    import("./preload.js"),
    import("./capture.js"),
    import("./executor.js"),
  ]);
  io.off("message", buffer);
  const handler = new Handler({
    session,
    outbox: (channel, msg) => post({ kind: "send", channel, msg }),
    outboxBatch: (messages) => post({ kind: "sends", messages }),
    typecheck: options.typecheck,
    prepare: loadGlobalsFor,
  });
  installGlobals(handler);
  installOutputCapture({ orphansToLastCell: true });

  await new Promise<void>((resolve, reject) => {
    const onMessage = (m: FromIo) => {
      switch (m.kind) {
        case "bound":
          resolve();
          break;
        case "fatal":
          reject(new Error(m.error));
          break;
        case "message":
          // Views, not copies: a copy of a small buffer would land in the shared pool (see topic in scope.ts).
          m.msg.identities = m.msg.identities.map((b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength));
          m.msg.buffers = m.msg.buffers.map((b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength));
          void handler.receive(m.channel, m.msg, { busySent: m.busySent, inputSent: m.inputSent });
          break;
        case "interrupt":
        case "terminated":
          onInterruptNotice(m);
          break;
        case "shutdown":
          post({ kind: "close" });
          setTimeout(() => process.exit(0), 50);
          break;
      }
    };
    io.on("message", onMessage);
    for (const m of early.splice(0)) onMessage(m);
  });

  // The language service loads in its own worker once the kernel is answering.
  options.language?.().then(
    (tools) => handler.attachLanguage(tools),
    (e) => log(`language service unavailable: ${(e as Error).message}`),
  );
}
