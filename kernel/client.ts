// A client of the Jupyter wire protocol: starts a kernel process (or attaches to one) and
// talks to it over real zeromq sockets. The tests and the headless notebook runner use it.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as zmq from "zeromq";
import { type ConnectionInfo, endpoint } from "./connection.js";
import { type ExecuteRequest, type InputReply, readInputRequest, toWire } from "./messages.js";
import { type Message, Signer, decode, encode, newMessage } from "./wire.js";

export interface Reply {
  reply: Message;
  /** iopub messages with this request as parent, busy to idle (statuses left out). */
  outputs: Message[];
}

async function freePort(ip: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, ip, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function newConnection(ip = "127.0.0.1"): Promise<ConnectionInfo> {
  const ports: number[] = [];
  while (ports.length < 5) {
    const p = await freePort(ip);
    if (!ports.includes(p)) ports.push(p);
  }
  const [shell, control, iopub, stdin, hb] = ports as [number, number, number, number, number];
  return {
    transport: "tcp",
    ip,
    key: randomBytes(16).toString("hex"),
    signature_scheme: "hmac-sha256",
    shell_port: shell,
    control_port: control,
    iopub_port: iopub,
    stdin_port: stdin,
    hb_port: hb,
  };
}

const MAIN = fileURLToPath(new URL("./main.js", import.meta.url));

export interface StartOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Extra arguments after `kernel <file>`. */
  args?: string[];
  /** Where the kernel's own log (fd 2) goes; inherited by default. */
  stderr?: "inherit" | "pipe" | "ignore";
  /**
   * Its own process group: a terminal's Ctrl-C then reaches only this process, which decides what
   * the kernel gets (the runner interrupts, then shuts down), and kill() ends the whole group.
   */
  detached?: boolean;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

type Pending = { resolve: (r: Reply) => void; reject: (e: Error) => void; reply?: Message; outputs: Message[]; idle: boolean };

export class KernelClient {
  readonly session = randomBytes(8).toString("hex");
  private readonly signer: Signer;
  // shell and stdin share a routing id: the kernel sends input_request to the shell request's
  // identity on its stdin socket, as jupyter_client arranges it.
  // linger 0: messages to a kernel that is gone are dropped at close, not waited for at exit.
  private readonly shell = new zmq.Dealer({ routingId: this.session, linger: 0 });
  private readonly control = new zmq.Dealer({ linger: 0 });
  private readonly stdin = new zmq.Dealer({ routingId: this.session, linger: 0 });
  private readonly iopub = new zmq.Subscriber({ linger: 0 });
  private readonly pending = new Map<string, Pending>();
  /** Every iopub message received, in order (tests inspect it). */
  readonly iopubLog: Message[] = [];
  /** Answers input_request; by default input is refused with an empty string. */
  onInput: (prompt: string, password: boolean) => string | Promise<string> = () => "";
  /** Sees every iopub message as it arrives (the runner streams progress with it). */
  onIopub: ((msg: Message) => void) | null = null;
  private closed = false;
  private process: ChildProcess | null = null;
  private tempDir: string | null = null;
  private detached = false;
  private heartbeat: zmq.Dealer | null = null;
  /** Why requests fail at once: the kernel process this client started has exited. */
  private gone: string | null = null;
  /** The kernel process's id (null for an attached kernel). */
  get pid(): number | null {
    return this.process?.pid ?? null;
  }

  /** Settles when the kernel process this client started exits (never, for an attached kernel). */
  exited: Promise<Exit> = new Promise(() => {});

  constructor(readonly connection: ConnectionInfo) {
    this.signer = new Signer(connection.key, connection.signature_scheme);
  }

  /** Starts `stillroom kernel` in a child process and waits for its first kernel_info_reply. */
  static async start(options: StartOptions = {}): Promise<KernelClient> {
    const connection = await newConnection();
    const dir = mkdtempSync(join(tmpdir(), "stillroom-"));
    const file = join(dir, "kernel.json");
    writeFileSync(file, JSON.stringify(connection));
    const child = spawn(process.execPath, [MAIN, "kernel", file, ...(options.args ?? [])], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ["ignore", "ignore", options.stderr ?? "inherit"],
      detached: options.detached ?? false,
    });
    const client = new KernelClient(connection);
    client.process = child;
    client.tempDir = dir;
    client.detached = options.detached ?? false;
    client.exited = new Promise<Exit>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
    // The connection file goes with the kernel, however it ends.
    const removeFile = () => rmSync(dir, { recursive: true, force: true });
    void client.exited.then(removeFile);
    // A request to a kernel that is gone is never answered: it fails, saying how the kernel ended
    // (after a moment, so that what the kernel sent just before it exited still arrives).
    void client.exited.then((e) =>
      setTimeout(() => {
        client.gone = `the kernel exited with ${e.signal ? `signal ${e.signal}` : `code ${e.code}`} before replying`;
        client.failPending(client.gone);
      }, 250).unref(),
    );
    await client.connect();
    const exited = client.exited.then((e) => {
      throw new Error(`kernel exited with ${e.signal ? `signal ${e.signal}` : `code ${e.code}`} before answering`);
    });
    try {
      await Promise.race([client.waitReady(), exited]);
    } catch (e) {
      client.close();
      throw e;
    }
    return client;
  }

  get child(): ChildProcess | null {
    return this.process;
  }

  /**
   * Resolves with a reason once the heartbeat has gone unanswered for `timeoutMs` (a kernel that is
   * gone or frozen; the kernel answers it from its IO thread, so a busy cell does not count).
   */
  watchHeartbeat(intervalMs = 1000, timeoutMs = 10_000): Promise<string> {
    const hb = new zmq.Dealer({ linger: 0 });
    this.heartbeat = hb;
    hb.connect(endpoint(this.connection, "hb"));
    let last = Date.now();
    return new Promise<string>((resolve) => {
      const timer = setInterval(() => {
        if (this.closed) return clearInterval(timer);
        if (Date.now() - last > timeoutMs) {
          clearInterval(timer);
          resolve(`the kernel's heartbeat went unanswered for ${timeoutMs / 1000} s`);
          return;
        }
        // A REP socket on the other side: an empty delimiter frame, then the payload.
        void hb.send([Buffer.alloc(0), Buffer.from("ping")]).catch(() => {});
      }, intervalMs);
      void (async () => {
        try {
          for await (const _ of hb) last = Date.now();
        } catch {
          /* closed */
        }
      })();
    });
  }

  /** Ends the kernel process at once (its whole process group when it has its own). */
  kill(): void {
    const child = this.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    try {
      if (this.detached && child.pid) process.kill(-child.pid, "SIGKILL");
      else child.kill("SIGKILL");
    } catch {
      /* already gone */
    }
  }

  /**
   * Kills the kernel (kill()) and waits, up to `timeoutMs`, until no process of its group is left.
   * SIGKILL reaches the kernel's children at the same time but they die on their own schedule: under
   * load a child could outlive a run that returned right after the kernel's exit.
   */
  async killAndWait(timeoutMs = 2000): Promise<void> {
    const pid = this.process?.pid;
    this.kill();
    if (!pid) return;
    const target = this.detached ? -pid : pid;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && signalable(target)) await new Promise((r) => setTimeout(r, 10));
  }

  async connect(): Promise<void> {
    this.shell.connect(endpoint(this.connection, "shell"));
    this.control.connect(endpoint(this.connection, "control"));
    this.stdin.connect(endpoint(this.connection, "stdin"));
    this.iopub.connect(endpoint(this.connection, "iopub"));
    this.iopub.subscribe();
    void this.receive(this.shell, (m) => this.onReply(m));
    void this.receive(this.control, (m) => this.onReply(m));
    void this.receive(this.stdin, (m) => this.onInputRequest(m));
    void this.receive(this.iopub, (m) => this.onIopubMessage(m));
  }

  /** Asks kernel_info until it answers and iopub is delivering (a SUB joins late). */
  async waitReady(timeoutMs = 30_000): Promise<Message> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const attempt = this.request("shell", "kernel_info_request", {});
      const timer = new Promise<null>((r) => setTimeout(() => r(null), 250));
      const result = await Promise.race([attempt, timer]);
      if (result?.outputs.some((m) => m.header.msg_type === "status")) return result.reply;
      if (result) continue;
    }
    throw new Error(`kernel did not answer kernel_info within ${timeoutMs} ms`);
  }

  /** Decodes every message a socket receives; closing the client ends the loop quietly. */
  private async receive(socket: zmq.Dealer | zmq.Subscriber, handle: (msg: Message) => void | Promise<void>): Promise<void> {
    try {
      for await (const frames of socket) await handle(decode(frames as Buffer[], this.signer));
    } catch (e) {
      if (!this.closed) throw e;
    }
  }

  private async onInputRequest(msg: Message): Promise<void> {
    if (msg.header.msg_type !== "input_request") return;
    // Read as loosely as the kernel reads what clients send it.
    const { prompt, password } = readInputRequest(msg.content, []);
    const value = await this.onInput(prompt, password);
    await this.stdin.send(encode(this.message("input_reply", toWire<InputReply>({ value }), msg.header), this.signer));
  }

  private onIopubMessage(msg: Message): void {
    this.iopubLog.push(msg);
    this.onIopub?.(msg);
    const parentId = (msg.parent_header as { msg_id?: string }).msg_id;
    const p = parentId ? this.pending.get(parentId) : undefined;
    if (!p) return;
    if (msg.header.msg_type === "status" && msg.content.execution_state === "idle") p.idle = true;
    p.outputs.push(msg);
    this.settle(parentId!, p);
  }

  private onReply(msg: Message): void {
    const parentId = (msg.parent_header as { msg_id?: string }).msg_id;
    const p = parentId ? this.pending.get(parentId) : undefined;
    if (!p) return;
    p.reply = msg;
    this.settle(parentId!, p);
  }

  private settle(id: string, p: Pending): void {
    if (!p.reply || !p.idle) return;
    this.pending.delete(id);
    p.resolve({ reply: p.reply, outputs: p.outputs });
  }

  message(msgType: string, content: Record<string, unknown>, parent: Message["parent_header"] = {}): Message {
    return newMessage(msgType, content, { session: this.session, parent, username: "client" });
  }

  /** Sends a request; resolves with its reply once iopub has said idle for it. */
  request(channel: "shell" | "control", msgType: string, content: Record<string, unknown>): Promise<Reply> {
    const msg = this.message(msgType, content);
    return this.send(channel, msg);
  }

  send(channel: "shell" | "control", msg: Message): Promise<Reply> {
    if (this.gone) return Promise.reject(new Error(this.gone));
    const promise = new Promise<Reply>((resolve, reject) =>
      this.pending.set(msg.header.msg_id, { resolve, reject, outputs: [], idle: false }),
    );
    const socket = channel === "shell" ? this.shell : this.control;
    void socket.send(encode(msg, this.signer));
    return promise;
  }

  /** Raw frames, for fuzzing. */
  async sendRaw(channel: "shell" | "control", frames: Buffer[]): Promise<void> {
    await (channel === "shell" ? this.shell : this.control).send(frames);
  }

  execute(
    code: string,
    options: {
      silent?: boolean;
      storeHistory?: boolean;
      allowStdin?: boolean;
      stopOnError?: boolean;
      userExpressions?: Record<string, string>;
    } = {},
  ): Promise<Reply> {
    return this.request(
      "shell",
      "execute_request",
      toWire<ExecuteRequest>({
        code,
        silent: options.silent ?? false,
        store_history: options.storeHistory ?? true,
        user_expressions: options.userExpressions ?? {},
        allow_stdin: options.allowStdin ?? false,
        stop_on_error: options.stopOnError ?? true,
      }),
    );
  }

  async interrupt(): Promise<Reply> {
    return this.request("control", "interrupt_request", {});
  }

  /** Asks the kernel to shut down and waits for the process to exit. */
  async shutdown(): Promise<void> {
    const running = this.process && this.process.exitCode === null && this.process.signalCode === null;
    const exited = running ? this.exited : Promise.resolve();
    const grace = () => new Promise((r) => setTimeout(r, 5000).unref());
    const asked = this.request("control", "shutdown_request", { restart: false }).catch(() => undefined);
    await Promise.race([asked, exited, grace()]);
    await Promise.race([exited, grace()]);
    this.close();
  }

  /** Rejects every request still waiting. */
  private failPending(reason: string): void {
    for (const p of this.pending.values()) p.reject(new Error(reason));
    this.pending.clear();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of [this.shell, this.control, this.stdin, this.iopub]) s.close();
    this.heartbeat?.close();
    this.failPending("client closed");
    this.kill();
    if (this.tempDir) rmSync(this.tempDir, { recursive: true, force: true });
  }
}

/** Whether a process (or, for a negative pid, a process group) still exists; zombies count until reaped. */
function signalable(target: number): boolean {
  try {
    process.kill(target, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}
