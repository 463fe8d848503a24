// The kernel process over real zeromq sockets, driven by the project's own client.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { KernelClient, type Reply } from "../../kernel/client.js";
import { LANGUAGE_INFO } from "../../kernel/kernel-info.js";
import { DELIMITER, Signer, encode } from "../../kernel/wire.js";

let kernel: KernelClient;

before(async () => {
  kernel = await KernelClient.start({ args: ["--typecheck", "off"], stderr: "ignore" });
});
after(async () => {
  await kernel.shutdown();
});

const types = (r: { outputs: { header: { msg_type: string } }[] }) => r.outputs.map((o) => o.header.msg_type);
const text = (r: { outputs: { header: { msg_type: string }; content: Record<string, any> }[] }) =>
  r.outputs
    .filter((o) => o.header.msg_type === "stream")
    .map((o) => o.content.text)
    .join("");

test("kernel_info on shell and control describes a TypeScript kernel", async () => {
  for (const channel of ["shell", "control"] as const) {
    const { reply, outputs } = await kernel.request(channel, "kernel_info_request", {});
    assert.equal(reply.header.msg_type, "kernel_info_reply");
    assert.equal(reply.content.protocol_version, "5.3");
    assert.deepEqual(reply.content.language_info, LANGUAGE_INFO);
    assert.deepEqual(
      outputs.map((o) => o.content.execution_state),
      ["busy", "idle"],
    );
  }
});

test("execute: state across cells, result, streams, display and errors", async () => {
  await kernel.execute("let total: number = 40");
  const r = await kernel.execute("total += 2\nconsole.log('out'); console.error('err')\ntotal");
  assert.deepEqual(types(r), ["status", "execute_input", "stream", "stream", "execute_result", "status"]);
  assert.equal(r.outputs[4]!.content.data["text/plain"], "42");
  const shown = await kernel.execute("const h = display.markdown('# hi'); await h.update('# there'); h");
  const display = shown.outputs.find((o) => o.header.msg_type === "display_data")!;
  const update = shown.outputs.find((o) => o.header.msg_type === "update_display_data")!;
  assert.equal(display.content.data["text/markdown"], "# hi");
  assert.equal(update.content.transient.display_id, display.content.transient.display_id);
  assert.equal(update.content.data["text/markdown"], "# there");
  const err = await kernel.execute("throw new RangeError('nope')");
  assert.equal(err.reply.content.status, "error");
  assert.deepEqual(types(err), ["status", "execute_input", "error", "status"]);
});

test("output from a timer lands in the cell that started it", async () => {
  const first = kernel.execute("setTimeout(() => console.log('late'), 150); 'started'");
  const firstReply = await first;
  assert.equal(text(firstReply), "");
  const second = await kernel.execute("await new Promise(r => setTimeout(r, 400)); 'second'");
  assert.equal(text(second), "", "the late line does not land in the next cell");
  const late = kernel.iopubLog.find((m) => m.header.msg_type === "stream" && m.content.text === "late\n");
  assert.equal((late!.parent_header as { msg_id: string }).msg_id, firstReply.reply.parent_header.msg_id);
});

test("a throwing timer and an unhandled rejection are reported, and the kernel lives", async () => {
  await kernel.execute("setTimeout(() => { throw new Error('timer boom') }, 10); Promise.reject(new Error('rejected'))");
  await kernel.execute("await new Promise(r => setTimeout(r, 100))");
  const stderr = kernel.iopubLog
    .filter((m) => m.header.msg_type === "stream" && m.content.name === "stderr")
    .map((m) => m.content.text)
    .join("");
  assert.match(stderr, /timer boom/);
  assert.match(stderr, /rejected/);
  assert.equal((await kernel.execute("1 + 1")).reply.content.status, "ok");
});

test("interrupt stops a busy loop and a pending await, and state survives", async () => {
  await kernel.execute("let kept = 'still here'");
  for (const code of ["while (true) {}", "await new Promise(() => {})", "for (;;) { JSON.stringify({ a: [1, 2, 3] }) }"]) {
    const running = kernel.execute(code);
    await new Promise((r) => setTimeout(r, 300));
    const ack = await kernel.interrupt();
    assert.equal(ack.reply.header.msg_type, "interrupt_reply");
    const { reply } = await running;
    assert.equal(reply.content.status, "error");
    assert.equal(reply.content.ename, "InterruptError");
  }
  const { outputs } = await kernel.execute("kept");
  assert.equal(outputs.find((o) => o.header.msg_type === "execute_result")!.content.data["text/plain"], "'still here'");
});

test("SIGINT from a frontend interrupts like interrupt_request", async () => {
  const running = kernel.execute("while (true) {}");
  await new Promise((r) => setTimeout(r, 300));
  kernel.child!.kill("SIGINT");
  assert.equal((await running).reply.content.ename, "InterruptError");
  assert.equal((await kernel.execute("2")).reply.content.status, "ok");
});

test("SIGINT interrupts a pending await; one that comes while the kernel is idle interrupts nothing", async () => {
  const running = kernel.execute("await new Promise(() => {})");
  await new Promise((r) => setTimeout(r, 300));
  kernel.child!.kill("SIGINT");
  assert.equal((await running).reply.content.ename, "InterruptError");
  kernel.child!.kill("SIGINT");
  await new Promise((r) => setTimeout(r, 200));
  const after = await kernel.execute("await new Promise((r) => setTimeout(r, 300)); 'not interrupted'");
  assert.equal(after.reply.content.status, "ok", JSON.stringify(after.reply.content));
});

test("a cell's own SIGINT listener leaves busy loops interruptible by signal and by message", async () => {
  const own = await KernelClient.start({ args: ["--typecheck", "off"], stderr: "ignore" });
  try {
    await own.execute("process.on('SIGINT', () => console.log('cell saw SIGINT'))");
    for (const interrupt of [() => own.child!.kill("SIGINT"), () => void own.interrupt()]) {
      const running = own.execute("while (true) {}");
      await new Promise((r) => setTimeout(r, 300));
      interrupt();
      assert.equal((await running).reply.content.ename, "InterruptError");
    }
    assert.equal((await own.execute("40 + 2")).reply.content.status, "ok");
  } finally {
    await own.shutdown();
  }
});

test("control and heartbeat answer while a cell is busy", async () => {
  const running = kernel.execute("const until = Date.now() + 1500; while (Date.now() < until) {}");
  await new Promise((r) => setTimeout(r, 200));
  const started = Date.now();
  const info = await kernel.request("control", "kernel_info_request", {});
  assert.equal(info.reply.header.msg_type, "kernel_info_reply");
  assert.ok(Date.now() - started < 1000, "control answered before the busy cell ended");
  await running;
});

const statusOf = (m: { header: { msg_type: string }; content: Record<string, any> }) =>
  m.header.msg_type === "status" ? (m.content.execution_state as string) : null;
const parentOf = (m: { parent_header: unknown }) => (m.parent_header as { msg_id?: string }).msg_id;

test("a request's busy goes out at once, even while a timer holds the main thread", async () => {
  // The timer keeps the main thread for a second after the cell has replied.
  await kernel.execute("setTimeout(() => { const end = Date.now() + 1000; while (Date.now() < end) {} }, 20); 0");
  await new Promise((r) => setTimeout(r, 200));
  const from = kernel.iopubLog.length;
  const cell = kernel.execute("'after the timer'");
  // Answered by the IO thread while the main thread is still held.
  const info = await kernel.request("shell", "kernel_info_request", {});
  const { reply } = await cell;
  const log = kernel.iopubLog.slice(from);
  const busy = log.findIndex((m) => statusOf(m) === "busy" && parentOf(m) === parentOf(reply));
  const infoIdle = log.findIndex((m) => statusOf(m) === "idle" && parentOf(m) === parentOf(info.reply));
  assert.ok(busy >= 0 && infoIdle >= 0, "both requests got their statuses");
  assert.ok(busy < infoIdle, "the cell's busy came before the IO thread's answer to the later request");
});

test("a request queued behind a running cell is busy only after that cell's idle", async () => {
  const first = kernel.execute("await new Promise((r) => setTimeout(r, 300)); 1");
  const second = kernel.execute("2");
  const ids = (await Promise.all([first, second])).map((r) => parentOf(r.reply));
  const statuses = kernel.iopubLog
    .filter((m) => statusOf(m) && ids.includes(parentOf(m)))
    .map((m) => `${statusOf(m)}:${ids.indexOf(parentOf(m))}`);
  assert.deepEqual(statuses, ["busy:0", "idle:0", "busy:1", "idle:1"]);
});

test("stdin: input() asks the frontend when allowed", async () => {
  kernel.onInput = (prompt) => `answer to ${prompt}`;
  const r = await kernel.execute("const name = await input('who?'); name", { allowStdin: true });
  assert.equal(r.outputs.find((o) => o.header.msg_type === "execute_result")!.content.data["text/plain"], "'answer to who?'");
});

test("stop_on_error aborts the requests queued behind a failing cell", async () => {
  const failing = kernel.execute("await new Promise(r => setTimeout(r, 200)); throw new Error('first')");
  const queued = kernel.execute("'should not run'");
  assert.equal((await failing).reply.content.status, "error");
  assert.equal((await queued).reply.content.status, "aborted");
  assert.equal((await kernel.execute("'runs again'")).reply.content.status, "ok");
});

test("every shown cell gets one execute_input with its reply's count, idle kernel or queued", async () => {
  const inputs = (r: Reply) => r.outputs.filter((o) => o.header.msg_type === "execute_input").map((o) => o.content);
  const check = (r: Reply, code: string) => assert.deepEqual(inputs(r), [{ code, execution_count: r.reply.content.execution_count }]);
  const first = await kernel.execute("'counted'");
  check(first, "'counted'");
  const n = first.reply.content.execution_count as number;
  // silent: no execute_input and no count; store_history false: shown with the count unchanged
  assert.deepEqual(inputs(await kernel.execute("2", { silent: true })), []);
  const unstored = await kernel.execute("3", { storeHistory: false });
  check(unstored, "3");
  assert.equal(unstored.reply.content.execution_count, n);
  // two at once: the second's execute_input comes from the main thread, after the first's idle
  const [a, b] = await Promise.all([kernel.execute("await new Promise(r => setTimeout(r, 100)); 'a'"), kernel.execute("'b'")]);
  check(a, "await new Promise(r => setTimeout(r, 100)); 'a'");
  check(b, "'b'");
  assert.deepEqual([a.reply.content.execution_count, b.reply.content.execution_count], [n + 1, n + 2]);
  const failed = await kernel.execute("throw new Error('x')");
  check(failed, "throw new Error('x')");
  check(await kernel.execute("'after'"), "'after'");
  assert.equal((await kernel.execute("'after'")).reply.content.execution_count, n + 5);
});

test("a message with a bad signature is dropped, never executed", async () => {
  const forged = new Signer("not-the-key");
  const msg = kernel.message("execute_request", {
    code: "globalThis.forged = true",
    silent: false,
    store_history: true,
    user_expressions: {},
    allow_stdin: false,
  });
  await kernel.sendRaw("shell", encode(msg, forged));
  const unsigned = encode(msg, new Signer(""));
  await kernel.sendRaw("shell", unsigned);
  await new Promise((r) => setTimeout(r, 200));
  const r = await kernel.execute("typeof globalThis.forged");
  assert.equal(r.outputs.find((o) => o.header.msg_type === "execute_result")!.content.data["text/plain"], "'undefined'");
});

test("10,000 random and malformed messages on shell and control leave the kernel answering", async () => {
  let seed = 12345;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(rand() * 256)));
  const signer = new Signer(kernel.connection.key);
  const msgTypes = [
    "execute_request",
    "complete_request",
    "inspect_request",
    "history_request",
    "comm_open",
    "comm_msg",
    "is_complete_request",
    "shutdown_reques",
    "interrupt_requesx",
    "nonsense",
  ];
  for (let i = 0; i < 10_000; i++) {
    const channel = rand() < 0.5 ? "shell" : "control";
    const kind = rand();
    let frames: Buffer[];
    if (kind < 0.3) {
      frames = Array.from({ length: Math.floor(rand() * 8) + 1 }, () => bytes(Math.floor(rand() * 64)));
    } else if (kind < 0.6) {
      frames = [Buffer.from(DELIMITER), bytes(64), ...Array.from({ length: Math.floor(rand() * 6) }, () => bytes(Math.floor(rand() * 32)))];
    } else if (kind < 0.9) {
      const good = encode(kernel.message("execute_request", { code: "globalThis.fuzzed = true" }), signer);
      const at = Math.floor(rand() * good.length);
      good[at] = bytes(good[at]!.length || 1);
      frames = good;
    } else {
      // Correctly signed, with odd contents: the handler must cope with any shape.
      const type = msgTypes[Math.floor(rand() * msgTypes.length)]!;
      const contents = [
        {},
        { code: 5 },
        { code: null, cursor_pos: -3 },
        { cursor_pos: "x", code: "a." },
        { hist_access_type: "bogus" },
        { comm_id: 7, target_name: null },
        { code: "x".repeat(200) },
      ];
      const content = contents[Math.floor(rand() * contents.length)]!;
      frames = encode(kernel.message(type === "execute_request" ? "complete_request" : type, content), signer);
    }
    await kernel.sendRaw(channel, frames);
  }
  const info = await kernel.request("shell", "kernel_info_request", {});
  assert.equal(info.reply.content.status, "ok");
  const r = await kernel.execute("typeof globalThis.fuzzed");
  assert.equal(r.outputs.find((o) => o.header.msg_type === "execute_result")!.content.data["text/plain"], "'undefined'");
});

test("shutdown replies, then the process exits", async () => {
  const other = await KernelClient.start({ args: ["--typecheck", "off"], stderr: "ignore" });
  const exited = new Promise<number | null>((r) => other.child!.once("exit", (code) => r(code)));
  const { reply } = await other.request("control", "shutdown_request", { restart: true });
  assert.deepEqual(reply.content, { status: "ok", restart: true });
  assert.equal(await exited, 0);
  other.close();
});
