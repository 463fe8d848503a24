// The path JupyterLab takes: a real jupyter-server (Debian's) starts the kernel from the
// kernelspec that `stillroom install --prefix` wrote, and @jupyterlab/services (JupyterLab's own
// client) talks to it over the server's REST API and kernel WebSocket.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { after, before, test } from "node:test";
import { type Kernel, type KernelMessage, KernelManager, KernelSpecAPI, ServerConnection } from "@jupyterlab/services";
import { type JupyterEnv, findPython, freePort, jupyterEnv, killGroup, tail } from "./jupyter-env.js";

let jupyter: JupyterEnv;
let server: ChildProcess;
let serverLog = "";
let settings: ServerConnection.ISettings;
let manager: KernelManager;
let kernel: Kernel.IKernelConnection;

async function waitForServer(baseUrl: string, token: string, deadlineMs: number): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`jupyter-server exited with ${server.exitCode}\n${tail(serverLog)}`);
    try {
      const response = await fetch(`${baseUrl}api/status`, { headers: { Authorization: `token ${token}` } });
      if (response.ok) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`jupyter-server did not answer within ${deadlineMs} ms\n${tail(serverLog)}`);
}

before(
  async () => {
    const python = findPython(["jupyter_server"]);
    jupyter = jupyterEnv();
    const port = await freePort();
    const token = randomBytes(24).toString("hex");
    // jupyter-server 1.x names the token ServerApp.token (2.x: IdentityProvider.token, and still
    // accepts ServerApp.token with a deprecation warning).
    server = spawn(
      python,
      [
        "-m",
        "jupyter_server",
        `--ServerApp.port=${port}`,
        "--ServerApp.port_retries=0",
        "--ServerApp.ip=127.0.0.1",
        `--ServerApp.token=${token}`,
        "--ServerApp.open_browser=False",
        `--ServerApp.root_dir=${jupyter.work}`,
        // CI containers run as root, which jupyter-server refuses without this.
        "--ServerApp.allow_root=True",
      ],
      { cwd: jupyter.work, env: jupyter.env, stdio: ["ignore", "pipe", "pipe"], detached: true },
    );
    for (const stream of [server.stdout!, server.stderr!]) stream.setEncoding("utf8").on("data", (d: string) => (serverLog += d));
    const baseUrl = `http://127.0.0.1:${port}/`;
    await waitForServer(baseUrl, token, 60_000);
    settings = ServerConnection.makeSettings({ baseUrl, wsUrl: `ws://127.0.0.1:${port}/`, token, appendToken: true });
    manager = new KernelManager({ serverSettings: settings });
    await manager.ready;
  },
  { timeout: 90_000 },
);

after(
  async () => {
    try {
      if (kernel && !kernel.isDisposed) await kernel.shutdown().catch(() => {});
      if (manager) {
        manager.dispose();
        // @lumino/polling's Poll.dispose() leaves its next tick's timer armed (10 s for the kernel
        // list), which keeps this process alive that long after the tests end.
        clearTimeout((manager as unknown as { _pollModels?: { _timeout?: NodeJS.Timeout } })._pollModels?._timeout);
      }
    } finally {
      if (server) {
        const exited = server.exitCode !== null ? Promise.resolve() : new Promise((r) => server.once("exit", r));
        killGroup(server, "SIGTERM");
        const timer = setTimeout(() => killGroup(server, "SIGKILL"), 5000);
        await exited;
        clearTimeout(timer);
      }
      jupyter?.cleanup();
    }
  },
  { timeout: 30_000 },
);

interface CellRun {
  reply: KernelMessage.IExecuteReplyMsg;
  iopub: KernelMessage.IIOPubMessage[];
}

/** Executes a cell and collects its iopub messages up to idle (the future resolves after both). */
async function execute(code: string, timeoutMs = 30_000): Promise<CellRun> {
  const future = kernel.requestExecute({ code, stop_on_error: false });
  const iopub: KernelMessage.IIOPubMessage[] = [];
  future.onIOPub = (msg) => void iopub.push(msg);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no reply to ${JSON.stringify(code)} within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    const reply = (await Promise.race([future.done, timeout])) as KernelMessage.IExecuteReplyMsg;
    return { reply, iopub };
  } finally {
    clearTimeout(timer);
  }
}

const outputs = (run: CellRun) => run.iopub.filter((m) => !["status", "execute_input"].includes(m.header.msg_type));

test("the server lists the stillroom kernelspec with interrupt_mode message", async () => {
  const specs = await KernelSpecAPI.getSpecs(settings);
  const spec = specs.kernelspecs.stillroom;
  assert.ok(spec, `kernelspecs: ${Object.keys(specs.kernelspecs).join(", ")}`);
  assert.equal(spec.language, "typescript");
  assert.equal(spec.display_name, "TypeScript (Stillroom)");
  // services' model drops interrupt_mode; the server's own JSON has it.
  const response = await ServerConnection.makeRequest(`${settings.baseUrl}api/kernelspecs/stillroom`, {}, settings);
  assert.equal(response.status, 200);
  const raw = (await response.json()) as { spec: { interrupt_mode?: string } };
  assert.equal(raw.spec.interrupt_mode, "message");
});

test("starts a stillroom kernel that answers kernel_info", { timeout: 60_000 }, async () => {
  kernel = await manager.startNew({ name: "stillroom" });
  const info = await kernel.info;
  assert.equal(info.implementation, "stillroom");
  assert.equal(info.language_info.name, "typescript");
  assert.equal(info.language_info.file_extension, ".ts");
  assert.ok(Number(info.protocol_version.split(".")[1]) >= 3, `protocol_version ${info.protocol_version}`);
  assert.equal(kernel.status === "idle" || kernel.status === "busy" || kernel.status === "starting", true, kernel.status);
});

test("a cell's stream, display_data and execute_result arrive over the WebSocket", { timeout: 60_000 }, async () => {
  assert.ok(kernel, "the kernel did not start");
  const cell = await execute('console.log("from the server");\nawait display.html("<b>bold</b>");\n6 * 7');
  assert.equal(cell.reply.content.status, "ok", JSON.stringify(cell.reply.content));
  const seen = outputs(cell);
  const stream = seen.find((m) => m.header.msg_type === "stream") as KernelMessage.IStreamMsg | undefined;
  assert.ok(stream, JSON.stringify(seen));
  assert.equal(stream.content.name, "stdout");
  assert.equal(stream.content.text, "from the server\n");
  const display = seen.find((m) => m.header.msg_type === "display_data") as KernelMessage.IDisplayDataMsg | undefined;
  assert.ok(display, JSON.stringify(seen));
  assert.equal(display.content.data["text/html"], "<b>bold</b>");
  const result = seen.find((m) => m.header.msg_type === "execute_result") as KernelMessage.IExecuteResultMsg | undefined;
  assert.ok(result, JSON.stringify(seen));
  assert.equal(result.content.data["text/plain"], "42");
  assert.equal(result.content.execution_count, cell.reply.content.execution_count);
  // Order within the cell: stream, then display, then result; idle comes last.
  assert.deepEqual(
    seen.map((m) => m.header.msg_type),
    ["stream", "display_data", "execute_result"],
  );
  assert.equal(cell.iopub.at(-1)?.header.msg_type, "status");
  assert.equal((cell.iopub.at(-1) as KernelMessage.IStatusMsg).content.execution_state, "idle");
});

/** Starts a cell that never ends by itself, interrupts it through the server, returns what came. */
async function interruptCell(code: string): Promise<{ reply: KernelMessage.IExecuteReplyMsg; iopub: KernelMessage.IIOPubMessage[] }> {
  const future = kernel.requestExecute({ code, stop_on_error: false });
  const iopub: KernelMessage.IIOPubMessage[] = [];
  future.onIOPub = (msg) => void iopub.push(msg);
  // Wait until the cell is running (execute_input has been published), then give it a moment.
  const deadline = Date.now() + 20_000;
  while (!iopub.some((m) => m.header.msg_type === "execute_input")) {
    assert.ok(Date.now() < deadline, "the cell never started");
    await new Promise((r) => setTimeout(r, 20));
  }
  await new Promise((r) => setTimeout(r, 300));
  // POST /api/kernels/<id>/interrupt; with interrupt_mode "message" the server sends
  // interrupt_request on the control channel.
  await kernel.interrupt();
  let timer: NodeJS.Timeout | undefined;
  try {
    const reply = (await Promise.race([
      future.done,
      new Promise<never>(
        (_, reject) => (timer = setTimeout(() => reject(new Error(`${code} did not stop within 20 s of the interrupt`)), 20_000)),
      ),
    ])) as KernelMessage.IExecuteReplyMsg;
    return { reply, iopub };
  } finally {
    clearTimeout(timer);
  }
}

function assertInterrupted(run: { reply: KernelMessage.IExecuteReplyMsg; iopub: KernelMessage.IIOPubMessage[] }): void {
  assert.equal(run.reply.content.status, "error", JSON.stringify(run.reply.content));
  const errors = run.iopub.filter((m) => m.header.msg_type === "error") as KernelMessage.IErrorMsg[];
  assert.equal(
    errors.length,
    1,
    `one error message tells the cell was interrupted: ${JSON.stringify(run.iopub.map((m) => m.header.msg_type))}`,
  );
  assert.match(`${errors[0]!.content.ename} ${errors[0]!.content.evalue}`, /interrupt/i);
}

async function assertStillAnswers(): Promise<void> {
  const after = await execute("survivor + '!'");
  assert.equal(after.reply.content.status, "ok", JSON.stringify(after.reply.content));
  const result = outputs(after).find((m) => m.header.msg_type === "execute_result") as KernelMessage.IExecuteResultMsg | undefined;
  assert.equal(result?.content.data["text/plain"], "'still here!'");
}

test("kernel.interrupt() (REST, interrupt_request) stops while(true){} and the kernel keeps its state", { timeout: 90_000 }, async () => {
  assert.ok(kernel, "the kernel did not start");
  const setup = await execute("let survivor = 'still here'");
  assert.equal(setup.reply.content.status, "ok", JSON.stringify(setup.reply.content));
  assertInterrupted(await interruptCell("while (true) {}"));
  await assertStillAnswers();
});

test("kernel.interrupt() also cancels a pending top-level await", { timeout: 90_000 }, async () => {
  assert.ok(kernel, "the kernel did not start");
  assertInterrupted(await interruptCell("await new Promise(() => {})"));
  await assertStillAnswers();
});

test("shutting the kernel down through the server removes it", { timeout: 60_000 }, async () => {
  assert.ok(kernel, "the kernel did not start");
  const id = kernel.id;
  await kernel.shutdown();
  await manager.refreshRunning();
  assert.equal(
    [...manager.running()].some((m) => m.id === id),
    false,
    "the kernel is no longer running",
  );
  const response = await ServerConnection.makeRequest(`${settings.baseUrl}api/kernels/${id}`, {}, settings);
  assert.equal(response.status, 404);
});
