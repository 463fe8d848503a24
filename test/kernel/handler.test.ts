// The request handler without sockets: messages in, an outbox array out.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Handler, isComplete } from "../../kernel/handler.js";
import { installOutputCapture } from "../../kernel/capture.js";
import { installGlobals } from "../../kernel/preload.js";
import type { OutChannel } from "../../kernel/scope.js";
import { type Message, newHeader } from "../../kernel/wire.js";

function harness() {
  const sent: { channel: OutChannel; msg: Message }[] = [];
  const handler = new Handler({ session: "test", outbox: (channel, msg) => sent.push({ channel, msg }), typecheck: "off" });
  installGlobals(handler);
  installOutputCapture({ orphansToLastCell: false });
  const request = async (msgType: string, content: Record<string, unknown>) => {
    const msg: Message = {
      identities: [Buffer.from("id-1")],
      header: newHeader(msgType, "client"),
      parent_header: {},
      metadata: {},
      content,
      buffers: [],
    };
    const start = sent.length;
    await handler.receive("shell", msg);
    const out = sent.slice(start);
    for (const o of out)
      assert.equal((o.msg.parent_header as { msg_id: string }).msg_id, msg.header.msg_id, "every message names its request as parent");
    return { out, types: out.map((o) => `${o.channel}:${o.msg.header.msg_type}`), reply: out.find((o) => o.channel === "shell")?.msg };
  };
  return { handler, request };
}

test("execute publishes busy, input, result, reply, idle in that order", async () => {
  const { request } = harness();
  const { types, out, reply } = await request("execute_request", { code: "6 * 7", silent: false, store_history: true });
  assert.deepEqual(types, ["iopub:status", "iopub:execute_input", "iopub:execute_result", "shell:execute_reply", "iopub:status"]);
  assert.deepEqual(out.map((o) => o.msg.content.execution_state).filter(Boolean), ["busy", "idle"]);
  assert.equal(out[2]!.msg.content.data["text/plain"], "42");
  assert.equal(reply!.content.execution_count, 1);
  assert.deepEqual(reply!.identities, [Buffer.from("id-1")], "replies copy the request's identities");
});

test("with a batch outbox, a cell's result, reply and idle go in one batch, after what went before", async () => {
  const single: string[] = [];
  const batches: string[][] = [];
  const name = (channel: OutChannel, msg: Message) => `${channel}:${msg.content.execution_state ?? msg.header.msg_type}`;
  const handler = new Handler({
    session: "test",
    outbox: (channel, msg) => single.push(name(channel, msg)),
    outboxBatch: (messages) => batches.push(messages.map(({ channel, msg }) => name(channel, msg))),
    typecheck: "off",
  });
  installGlobals(handler);
  installOutputCapture({ orphansToLastCell: false });
  const content = { code: "console.log('printed'); 6 * 7", silent: false, store_history: true };
  await handler.receive("shell", {
    identities: [],
    header: newHeader("execute_request", "client"),
    parent_header: {},
    metadata: {},
    content,
    buffers: [],
  });
  assert.deepEqual(single, ["iopub:busy", "iopub:execute_input", "iopub:stream"]);
  assert.deepEqual(batches, [["iopub:execute_result", "shell:execute_reply", "iopub:idle"]]);
  const failing = { ...content, code: "throw new Error('no')" };
  await handler.receive("shell", {
    identities: [],
    header: newHeader("execute_request", "client"),
    parent_header: {},
    metadata: {},
    content: failing,
    buffers: [],
  });
  assert.deepEqual(batches[1], ["iopub:error", "shell:execute_reply", "iopub:idle"]);
});

/** A handler with an execute_request of `code` as the IO thread hands it over, and what it sends. */
function handedOver(code: string) {
  const sent: Message[] = [];
  const handler = new Handler({ session: "test", outbox: (_, msg) => sent.push(msg), typecheck: "off" });
  const msg: Message = {
    identities: [],
    header: newHeader("execute_request", "client"),
    parent_header: {},
    metadata: {},
    content: { code },
    buffers: [],
  };
  return { sent, handler, msg };
}

test("a request whose busy the IO thread has published gets no second one", async () => {
  const { sent, handler, msg } = handedOver("1");
  await handler.receive("shell", msg, { busySent: true });
  assert.deepEqual(sent.map((m) => m.content.execution_state).filter(Boolean), ["idle"]);
});

test("a request whose execute_input the IO thread has published gets no second one", async () => {
  const { sent, handler, msg } = handedOver("1");
  await handler.receive("shell", msg, { busySent: true, inputSent: true });
  assert.deepEqual(
    sent.map((m) => m.header.msg_type),
    ["execute_result", "execute_reply", "status"],
  );
  assert.equal(sent[1]!.content.execution_count, 1);
});

test("silent and store_history=false leave the execution count alone", async () => {
  const { request } = harness();
  await request("execute_request", { code: "1" });
  const silent = await request("execute_request", { code: "2", silent: true });
  assert.deepEqual(silent.types, ["iopub:status", "shell:execute_reply", "iopub:status"]);
  const unstored = await request("execute_request", { code: "3", store_history: false });
  assert.equal(unstored.reply!.content.execution_count, 1);
  assert.equal((await request("execute_request", { code: "4" })).reply!.content.execution_count, 2);
});

test("an error gives one iopub error and an error reply, and the kernel goes on", async () => {
  const { request } = harness();
  const { types, reply, out } = await request("execute_request", { code: "let a = 1\nnull.x" });
  assert.deepEqual(types, ["iopub:status", "iopub:execute_input", "iopub:error", "shell:execute_reply", "iopub:status"]);
  assert.equal(reply!.content.status, "error");
  assert.equal(reply!.content.ename, "TypeError");
  assert.ok(
    (out[2]!.msg.content.traceback as string[]).some((l) => l.includes("In[1], line 2")),
    "traceback names the cell line",
  );
  assert.equal((await request("execute_request", { code: "a + 1" })).out[2]!.msg.content.data["text/plain"], "2");
});

test("a bad request content never throws out of the handler", async () => {
  const { request } = harness();
  const { reply } = await request("execute_request", { code: 42 });
  assert.equal(reply!.content.status, "error");
  assert.match(String(reply!.content.evalue), /content.code must be a string/);
  const unknown = await request("no_such_request", {});
  assert.deepEqual(unknown.types, ["iopub:status", "iopub:status"]);
});

test("stream output is coalesced into few messages and lands before the reply", async () => {
  const { request } = harness();
  const { out } = await request("execute_request", { code: "for (let i = 0; i < 100000; i++) console.log(i)" });
  const streams = out.filter((o) => o.msg.header.msg_type === "stream");
  assert.ok(streams.length <= 4, `expected a few stream messages, got ${streams.length}`);
  const text = streams.map((s) => s.msg.content.text).join("");
  assert.equal(text.split("\n").length, 100001);
  assert.ok(out.findIndex((o) => o.msg.header.msg_type === "stream") < out.findIndex((o) => o.channel === "shell"));
});

test("completion offsets are code points", async () => {
  const { request } = harness();
  await request("execute_request", { code: "const 𝒳obj = { alpha: 1, alphabet: 2 }" });
  const code = "'😀'; 𝒳obj.alp";
  const { reply } = await request("complete_request", { code, cursor_pos: [...code].length });
  assert.deepEqual(reply!.content.matches, ["alpha", "alphabet"]);
  assert.equal(reply!.content.cursor_end, [...code].length);
  assert.equal(reply!.content.cursor_start, [...code].length - 3);
});

test("history answers tail, range and search", async () => {
  const { request } = harness();
  for (const code of ["let a1 = 1", "let b1 = 2", "a1 + b1", "let a1b = 3"]) await request("execute_request", { code });
  const tail = await request("history_request", { hist_access_type: "tail", n: 2, output: false, raw: true });
  assert.deepEqual(tail.reply!.content.history, [
    [1, 3, "a1 + b1"],
    [1, 4, "let a1b = 3"],
  ]);
  const range = await request("history_request", { hist_access_type: "range", session: 0, start: 2, stop: 3, output: false, raw: true });
  assert.deepEqual(range.reply!.content.history, [[1, 2, "let b1 = 2"]]);
  const search = await request("history_request", { hist_access_type: "search", pattern: "let a*", output: false, raw: true });
  assert.deepEqual(
    search.reply!.content.history.map((h: unknown[]) => h[1]),
    [1, 4],
  );
});

test("comms: unknown targets are closed, registered ones receive messages", async () => {
  const { handler, request } = harness();
  const unknown = await request("comm_open", { comm_id: "c1", target_name: "nope", data: {} });
  assert.deepEqual(unknown.types, ["iopub:status", "iopub:comm_close", "iopub:status"]);
  const seen: unknown[] = [];
  handler.comms.registerTarget("echo", (comm) =>
    comm.onMessage((data) => {
      seen.push(data);
      comm.send({ echo: data.x });
    }),
  );
  await request("comm_open", { comm_id: "c2", target_name: "echo", data: {} });
  const info = await request("comm_info_request", { target_name: "echo" });
  assert.deepEqual(info.reply!.content.comms, { c2: { target_name: "echo" } });
  const msg = await request("comm_msg", { comm_id: "c2", data: { x: 5 } });
  assert.deepEqual(seen, [{ x: 5 }]);
  assert.deepEqual(msg.out.find((o) => o.msg.header.msg_type === "comm_msg")!.msg.content.data, { echo: 5 });
  await request("comm_close", { comm_id: "c2", data: {} });
  assert.deepEqual((await request("comm_info_request", {})).reply!.content.comms, {});
});

test("is_complete tells complete, incomplete and invalid apart", () => {
  assert.equal(isComplete("let x = 1").status, "complete");
  assert.equal(isComplete("function f() {").status, "incomplete");
  assert.equal(isComplete("let a = [1,").status, "incomplete");
  assert.equal(isComplete("let s = `abc").status, "incomplete");
  assert.equal(isComplete("let x = )").status, "invalid");
  assert.equal(isComplete("interface A { a: number }").status, "complete");
});

test("input is refused when the request does not allow stdin", async () => {
  const { request } = harness();
  const { reply } = await request("execute_request", { code: "await input('name?')", allow_stdin: false });
  assert.equal(reply!.content.status, "error");
  assert.match(String(reply!.content.evalue), /allow_stdin is false/);
});

test("a cell that is only a string literal has that string as its result", async () => {
  const { request } = harness();
  const { out } = await request("execute_request", { code: "'hello'" });
  assert.equal(out.find((o) => o.msg.header.msg_type === "execute_result")!.msg.content.data["text/plain"], "'hello'");
});

test("name? pages the documentation of name in the reply payload", async () => {
  const { request } = harness();
  await request("execute_request", { code: "const helpTarget = { a: 1 }" });
  const { reply } = await request("execute_request", { code: "helpTarget?" });
  assert.equal(reply!.content.status, "ok");
  assert.equal(reply!.content.payload.length, 1);
  assert.equal(reply!.content.payload[0].source, "page");
  assert.match(reply!.content.payload[0].data["text/plain"], /helpTarget: \{ a: 1 \}/);
  assert.equal(isComplete("helpTarget?").status, "complete");
});

test("an object's own Vega-Lite bundle gets a PNG rendering, shown at the chart's size, and loses competing HTML", async () => {
  const { request } = harness();
  const code = `({ [Symbol.for("Jupyter.display")]() {
    return { "application/vnd.vegalite.v5+json": { data: { values: [{ x: 1, y: 2 }, { x: 2, y: 1 }] }, mark: "line",
      encoding: { x: { field: "x", type: "quantitative" }, y: { field: "y", type: "quantitative" } } }, "text/html": "<b>no</b>" };
  } })`;
  const { out } = await request("execute_request", { code });
  const { data, metadata } = out.find((o) => o.msg.header.msg_type === "execute_result")!.msg.content;
  assert.equal(Buffer.from(data["image/png"], "base64").subarray(1, 4).toString(), "PNG");
  assert.ok(metadata["image/png"].width > 0 && metadata["image/png"].height > 0, "the execute_result carries the PNG's size");
  assert.ok(!("text/html" in data));
  assert.ok("application/vnd.vegalite.v5+json" in data);
});
