// Faults a notebook user or a hostile peer can cause, through the kernel's own client over real
// zeromq sockets: stray async errors with the wasm backend loaded, replayed messages, requests
// built to take super-linear time, tensors no one keeps, and tracebacks of async cells.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { KernelClient, type Reply } from "../../kernel/client.js";
import { encode, Signer } from "../../kernel/wire.js";

let kernel: KernelClient;

before(async () => {
  kernel = await KernelClient.start({ args: ["--typecheck", "off"], stderr: "ignore", env: { ...process.env, STILLROOM_BACKEND: "wasm" } });
});
after(async () => {
  await kernel.shutdown();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function result(r: Reply): string {
  assert.equal(r.reply.content.status, "ok", `${r.reply.content.ename}: ${r.reply.content.evalue}`);
  return r.outputs.find((o) => o.header.msg_type === "execute_result")?.content.data["text/plain"];
}

function stderrOf(msgId: string): string {
  return kernel.iopubLog
    .filter(
      (m) => m.header.msg_type === "stream" && m.content.name === "stderr" && (m.parent_header as { msg_id?: string }).msg_id === msgId,
    )
    .map((m) => m.content.text)
    .join("");
}

test("stray async errors with the wasm backend loaded are reported in their cell, and the kernel lives", async () => {
  assert.equal(result(await kernel.execute("sr.backend.info().name")), "'wasm'");
  const cells = [
    ["setTimeout(() => { throw new Error('timer x') }, 10)", /Uncaught error: Error: timer x/],
    ["Promise.reject(new Error('rejected x')); 0", /Unhandled promise rejection: Error: rejected x/],
    ["sr.models.load('/no/such/model'); 0", /Unhandled promise rejection: .*no\/such\/model/],
  ] as const;
  for (const [code, expected] of cells) {
    const r = await kernel.execute(`${code}; await new Promise((r) => setTimeout(r, 200))`);
    assert.equal(r.reply.content.status, "ok");
    assert.match(stderrOf(r.reply.parent_header.msg_id as string), expected);
    assert.equal(kernel.child!.exitCode, null, "the kernel process lives");
  }
  assert.equal(result(await kernel.execute("1 + 1")), "2");
});

test("a validly signed message sent six times runs once", async () => {
  await kernel.execute("globalThis.replays = 0");
  const msg = kernel.message("execute_request", {
    code: "replays++",
    silent: false,
    store_history: true,
    user_expressions: {},
    allow_stdin: false,
  });
  const frames = encode(msg, new Signer(kernel.connection.key));
  for (let i = 0; i < 6; i++) await kernel.sendRaw("shell", frames);
  await sleep(300);
  assert.equal(result(await kernel.execute("replays")), "1");
});

test("history search and completion take linear time on inputs built to backtrack", async () => {
  await kernel.execute(`// ${"a".repeat(500)}`);
  const started = Date.now();
  const search = await kernel.request("shell", "history_request", {
    hist_access_type: "search",
    pattern: "*a*a*a*a*a*a*a*a*a*a*a*a*b",
    output: false,
    raw: true,
  });
  assert.deepEqual(search.reply.content.history, []);
  const hit = await kernel.request("shell", "history_request", {
    hist_access_type: "search",
    pattern: "//*a?a*",
    output: false,
    raw: true,
  });
  assert.equal(hit.reply.content.history.length, 1);
  const chain = `${"x.".repeat(40_000)}y`;
  const completion = await kernel.request("shell", "complete_request", { code: chain, cursor_pos: chain.length });
  assert.equal(completion.reply.content.status, "ok");
  const spaces = `${"a".repeat(40_000)}!`;
  const inspect = await kernel.request("shell", "inspect_request", { code: spaces, cursor_pos: spaces.length, detail_level: 0 });
  assert.equal(inspect.reply.content.status, "ok");
  // Generous: the quadratic versions took tens of seconds.
  assert.ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms`);
});

test("tensors a cell made and nothing reaches are freed; reachable ones stay", async () => {
  const before = Number(result(await kernel.execute("tf.memory().numTensors")));
  for (let i = 0; i < 3; i++) await kernel.execute("tf.tidy(() => tf.ones([4, 4]).add(1).sum())");
  await kernel.execute("const t = tf.ones([2]).mul(2); await t.data();");
  await kernel.execute("const f = (() => { const k = tf.ones([3]); return () => k.sum().dataSync()[0]; })()");
  await kernel.execute("const v = tf.variable(tf.zeros([2])); const kept = tf.keep(tf.ones([1])); const box = { inner: [tf.ones([5])] };");
  const now = Number(result(await kernel.execute("tf.memory().numTensors")));
  // t, the closure's k, the Variable, the kept tensor and the one in box remain.
  assert.equal(now, before + 5);
  assert.equal(result(await kernel.execute("const s = f(); s")), "3", "the tensor a closure holds still works");
  assert.equal(result(await kernel.execute("Array.from(t.dataSync())")), "[ 2, 2 ]");
  assert.equal(result(await kernel.execute("box.inner[0].shape[0] + v.shape[0] + kept.size")), "8");
});

test("the caret under an error on line 1 of an async cell points at the error", async () => {
  // traceback.test.ts covers columns moved by stripped types and rewritten declarations.
  const r = await kernel.execute("await null; globalThis.o.field; 2");
  const traceback: string[] = r.reply.content.traceback;
  const line = traceback.findIndex((l) => l.includes("1 | await null"));
  assert.ok(line > 0, traceback.join("\n"));
  assert.match(traceback[line - 1]!, /In\[\d+\], line 1/);
  const source = traceback[line]!.slice(traceback[line]!.indexOf("| ") + 2);
  const caret = traceback[line + 1]!.slice(traceback[line + 1]!.indexOf("| ") + 2);
  // V8 points at the property read: "field", column 1 + its index.
  const field = source.indexOf("o.field") + 2;
  assert.ok(field > 2);
  assert.equal(caret.indexOf("^"), field, `${source}\n${caret}`);
});

test("a request to a kernel that dies fails, naming how it ended, instead of waiting forever", async () => {
  const doomed = await KernelClient.start({ args: ["--typecheck", "off"], stderr: "ignore" });
  try {
    const running = doomed.execute("await new Promise(() => {})");
    await sleep(200);
    process.kill(doomed.pid!, "SIGKILL");
    await assert.rejects(running, /the kernel exited with signal SIGKILL before replying/);
    await assert.rejects(doomed.execute("1"), /the kernel exited with signal SIGKILL/, "a later request fails at once");
  } finally {
    doomed.close();
  }
});
