// The kernel's IO thread: owns every socket (ZMTP over Node's own sockets, zmtp/), so the
// heartbeat, the control channel and kernel_info keep answering while user code holds the main
// thread (a busy loop, a long cell).
// Shell and stdin requests are verified here and forwarded; the main thread posts back messages
// to sign and send. Logging uses fd 2 directly: the main thread captures process.stderr.
import { writeSync } from "node:fs";
import { Session } from "node:inspector";
import { parentPort, workerData } from "node:worker_threads";
import { type Channel, type ConnectionInfo, endpoint } from "./connection.js";
import { BEFORE_TERMINATION, type InterruptNotice, RUNNING, Slot, TERMINATE_AFTER_MS, TERMINATING } from "./interrupt.js";
import { kernelInfo } from "./kernel-info.js";
import { readExecuteRequest } from "./messages.js";
import { type Message, SignatureHistory, Signer, WireError, decode, encodeToSend, newMessage } from "./wire.js";
import { Echo, Publisher, Router } from "./zmtp/sockets.js";

export interface IoThreadData {
  connection: ConnectionInfo;
  session: string;
  version: string;
  /** Shared with the main thread (interrupt.ts). */
  interrupts: Int32Array;
}

/** Posted by the IO thread to the main thread. */
export type FromIo =
  | { kind: "bound" }
  | { kind: "message"; channel: "shell" | "stdin"; msg: Message; busySent: boolean; inputSent: boolean }
  | { kind: "shutdown"; restart: boolean }
  | { kind: "fatal"; error: string }
  | InterruptNotice;

/** Posted by the main thread to the IO thread. */
export type ToIo =
  | { kind: "send"; channel: Exclude<Channel, "hb">; msg: Message }
  | { kind: "sends"; messages: { channel: Exclude<Channel, "hb">; msg: Message }[] }
  | { kind: "close" };

const { connection, session, version, interrupts } = workerData as IoThreadData;
const signer = new Signer(connection.key, connection.signature_scheme);
const signatures = new SignatureHistory();
const port = parentPort!;

function log(text: string): void {
  writeSync(2, `[stillroom io] ${text}\n`);
}

if (!signer.signs) log("the connection file has an empty key: messages are not signed, and a replayed message cannot be told apart");

/**
 * A session with the main thread's inspector, which stops JavaScript that never yields
 * (interrupt.ts). Connected only for that, and closed after: a session left open makes Node wait
 * for "the debugger to disconnect" at exit.
 */
function withInspector(use: (session: Session, close: () => void) => void): boolean {
  const session = new Session();
  try {
    session.connectToMainThread();
  } catch (e) {
    log(`no inspector session to the main thread: code that never yields cannot be interrupted (${(e as Error).message})`);
    return false;
  }
  use(session, () => session.disconnect());
  return true;
}
let interruptCount = 0;

/** How long to keep asking the main thread to get ready for termination, and how often. */
const READY_TRIES_MS = 5000;
const READY_RETRY_MS = 2;

/** interrupt_request: see interrupt.ts for the steps. */
function interrupt(): void {
  const cell = Atomics.load(interrupts, Slot.Cell);
  const seq = ++interruptCount;
  Atomics.store(interrupts, Slot.Target, cell);
  Atomics.store(interrupts, Slot.OwnSignal, 1);
  process.kill(process.pid, "SIGINT");
  port.postMessage({ kind: "interrupt", seq, cell } satisfies FromIo);
  const deadline = Date.now() + TERMINATE_AFTER_MS;
  const watch = setInterval(() => {
    const answered = Atomics.load(interrupts, Slot.Ack) >= seq;
    const over = Atomics.load(interrupts, Slot.Cell) !== cell || Atomics.load(interrupts, Slot.State) !== RUNNING;
    if (answered || over) return clearInterval(watch);
    if (Date.now() < deadline) return;
    clearInterval(watch);
    if (Atomics.compareExchange(interrupts, Slot.State, RUNNING, TERMINATING) !== RUNNING) return;
    log(`cell ${cell} did not yield within ${TERMINATE_AFTER_MS} ms of the interrupt: terminating its JavaScript`);
    const done = () => {
      port.postMessage({ kind: "terminated", cell } satisfies FromIo);
      Atomics.notify(interrupts, Slot.State);
    };
    const connected = withInspector((inspector, close) => {
      // Runs on the main thread, inside the code that never yields (see BEFORE_TERMINATION); it
      // answers false while that code is inside Node's async-hook bookkeeping, where a termination
      // must not land: ask again until it is elsewhere (a loop of awaits is, most of the time).
      const prepare = (anywhere: boolean) => `globalThis[Symbol.for(${JSON.stringify(BEFORE_TERMINATION)})](${anywhere})`;
      const giveUpAt = Date.now() + READY_TRIES_MS;
      const ready = (anywhere: boolean) =>
        inspector.post("Runtime.evaluate", { expression: prepare(anywhere) }, (error, r) => {
          if (!error && r?.result?.value === false) {
            if (Date.now() < giveUpAt) return void setTimeout(() => ready(false), READY_RETRY_MS);
            // code that lives in an async hook (a user's own hook looping): stopping it beats a kernel stuck for good
            log(`cell ${cell} stayed inside Node's async-hook code for ${READY_TRIES_MS} ms: terminating it there`);
            return ready(true);
          }
          if (error || r?.result?.value !== true) {
            log(`cannot ready the main thread for termination (${error?.message ?? JSON.stringify(r?.exceptionDetails?.text)})`);
            Atomics.store(interrupts, Slot.State, RUNNING);
            close();
            return done();
          }
          inspector.post("Runtime.terminateExecution", (e) => {
            if (e) log(`terminateExecution failed: ${e.message}`);
            close();
            done();
          });
        });
      ready(false);
    });
    if (!connected) {
      Atomics.store(interrupts, Slot.State, RUNNING);
      done();
    }
  }, 20);
}

const shell = new Router(log);
const control = new Router(log);
const stdin = new Router(log);
const iopub = new Publisher(log);
const hb = new Echo(log);
const sockets = [shell, control, stdin, iopub, hb];
const outgoing = { shell, control, stdin, iopub };

function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

function send(channel: keyof typeof outgoing, msg: Message): void {
  msg.identities = msg.identities.map(asBuffer);
  msg.buffers = (msg.buffers ?? []).map(asBuffer);
  outgoing[channel].send(encodeToSend(msg, signer));
}

function reply(request: Message, msgType: string, content: Record<string, unknown>): Message {
  return newMessage(msgType, content, { session, parent: request.header, identities: request.identities });
}

function status(request: Message | null, state: "busy" | "idle" | "starting"): void {
  const topic = [Buffer.from("kernel.status")];
  send("iopub", newMessage("status", { execution_state: state }, { session, parent: request?.header, identities: topic }));
}

/** Requests this thread answers itself, on either channel; everything else on shell goes on. */
function answerHere(channel: "shell" | "control", msg: Message): boolean {
  const type = msg.header.msg_type;
  if (type === "kernel_info_request") {
    status(msg, "busy");
    send(channel, reply(msg, "kernel_info_reply", kernelInfo(version)));
    status(msg, "idle");
    return true;
  }
  if (channel !== "control") return false;
  status(msg, "busy");
  if (type === "interrupt_request") {
    interrupt();
    send("control", reply(msg, "interrupt_reply", { status: "ok" }));
  } else if (type === "shutdown_request") {
    const restart = Boolean(msg.content.restart);
    send("control", reply(msg, "shutdown_reply", { status: "ok", restart }));
    status(msg, "idle");
    // The reply must leave before the process does.
    void Promise.all(Object.values(outgoing).map((s) => s.flushed())).then(() =>
      port.postMessage({ kind: "shutdown", restart } satisfies FromIo),
    );
    // A main thread stuck in user code cannot exit by itself.
    setTimeout(() => process.kill(process.pid, "SIGTERM"), 2000).unref();
    return true;
  } else {
    log(`unsupported control message ${type}`);
    send(
      "control",
      reply(msg, type.replace(/_request$/, "_reply"), {
        status: "error",
        ename: "NotImplemented",
        evalue: `${type} is not supported`,
        traceback: [],
      }),
    );
  }
  status(msg, "idle");
  return true;
}

/**
 * Shell requests handed to the main thread whose idle has not gone out yet, by msg_id (a count,
 * in case a client reuses one). While there are none, a new request's busy is published here at
 * once rather than after a round trip through the main thread; otherwise the main thread
 * publishes it when it takes the request up, after the idle of the one before.
 */
const unfinished = new Map<string, number>();

/** The execution count of the last execute_reply sent: the main thread's count while nothing is in hand. */
let executionCount = 0;

function handOver(channel: "shell" | "stdin", msg: Message): void {
  const busySent = channel === "shell" && unfinished.size === 0;
  if (busySent) status(msg, "busy");
  const inputSent = busySent && msg.header.msg_type === "execute_request" && publishInput(msg);
  if (channel === "shell") unfinished.set(msg.header.msg_id, (unfinished.get(msg.header.msg_id) ?? 0) + 1);
  port.postMessage({ kind: "message", channel, msg, busySent, inputSent } satisfies FromIo);
}

/**
 * An execute_request taken up at once (nothing before it in hand, so no earlier error can abort
 * it) gets its execute_input here, with the count the main thread will give it, instead of after
 * the hop to the main thread and back. The count and the code are read as handler.ts reads them.
 */
function publishInput(request: Message): boolean {
  const { code, silent, store_history } = readExecuteRequest(request.content);
  if (silent) return false;
  const content = { code, execution_count: executionCount + (store_history ? 1 : 0) };
  send("iopub", newMessage("execute_input", content, { session, parent: request.header, identities: [Buffer.from("execute_input")] }));
  return true;
}

/** The main thread's idle for a request ends it; its execute_reply says the count. */
function noteFinished(msg: Message): void {
  if (msg.header.msg_type === "execute_reply" && typeof msg.content.execution_count === "number")
    executionCount = msg.content.execution_count;
  if (msg.header.msg_type !== "status" || msg.content.execution_state !== "idle") return;
  const id = (msg.parent_header as { msg_id?: unknown }).msg_id;
  const left = typeof id === "string" ? unfinished.get(id) : undefined;
  if (left === undefined) return;
  if (left > 1) unfinished.set(id as string, left - 1);
  else unfinished.delete(id as string);
}

let dropped = 0;

/** Says why a message was dropped; a flood of them is summarised rather than logged one by one. */
function logDropped(channel: string, e: unknown): void {
  dropped++;
  if (dropped <= 20 || dropped % 1000 === 0) {
    log(`${channel}: dropped a message (${dropped} so far): ${e instanceof WireError ? e.message : String(e)}`);
  }
}

function serve(channel: "shell" | "control" | "stdin", socket: Router): void {
  socket.onMessage = (frames) => {
    let msg: Message;
    try {
      msg = decode(frames, signer, signatures);
    } catch (e) {
      return logDropped(channel, e);
    }
    try {
      if (channel !== "stdin" && answerHere(channel, msg)) return;
      if (channel === "control") return;
      handOver(channel, msg);
    } catch (e) {
      log(`${channel}: ${msg.header.msg_type} failed: ${(e as Error).stack}`);
    }
  };
}

/**
 * A kernel whose parent is gone (a runner or server killed outright) has no one to talk to: it
 * exits rather than spin on as an orphan, as ipykernel's parent poller does.
 */
function exitWithParent(): void {
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid === parent) return;
    log(`the parent process (${parent}) is gone: exiting`);
    process.kill(process.pid, "SIGKILL");
  }, 1000).unref();
}

async function main(): Promise<void> {
  try {
    await Promise.all([
      shell.bind(endpoint(connection, "shell")),
      control.bind(endpoint(connection, "control")),
      stdin.bind(endpoint(connection, "stdin")),
      iopub.bind(endpoint(connection, "iopub")),
      hb.bind(endpoint(connection, "hb")),
    ]);
  } catch (e) {
    port.postMessage({ kind: "fatal", error: `cannot bind: ${(e as Error).message}` } satisfies FromIo);
    return;
  }
  port.on("message", (m: ToIo) => {
    if (m.kind === "close") for (const s of sockets) s.close();
    else
      for (const { channel, msg } of m.kind === "send" ? [m] : m.messages) {
        send(channel, msg);
        noteFinished(msg);
      }
  });
  status(null, "starting");
  port.postMessage({ kind: "bound" } satisfies FromIo);
  exitWithParent();
  serve("shell", shell);
  serve("control", control);
  serve("stdin", stdin);
}

void main();
