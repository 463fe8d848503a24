// What a notebook shows, through the kernel process and real sockets: display handles that keep
// their kind, README's tour, charts with their PNG, progress bars that are never left stale,
// promises and strings as a reader expects them, and nothing of the kernel's own state.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { KernelClient, type Reply } from "../../kernel/client.js";
import type { Message } from "../../kernel/wire.js";

let kernel: KernelClient;

before(async () => {
  kernel = await KernelClient.start({ args: ["--typecheck", "off"], stderr: "ignore" });
});
after(async () => {
  await kernel.shutdown();
});

const ofType = (r: Reply, type: string) => r.outputs.filter((o) => o.header.msg_type === type);
const result = (r: Reply) => ofType(r, "execute_result")[0]?.content.data["text/plain"] as string | undefined;
/** display_data and update_display_data, in order. */
const displays = (r: Reply) => r.outputs.filter((o) => /display_data$/.test(o.header.msg_type));
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** The first ```ts block after README's display tour heading. */
function readmeTour(): string {
  const readme = readFileSync(fileURLToPath(new URL("../../../README.md", import.meta.url)), "utf8");
  const section = readme.slice(readme.indexOf("## A tour of the display API"));
  const block = /```ts\n([\s\S]*?)```/.exec(section);
  assert.ok(block, "README's display tour has a ts example");
  return block[1]!;
}

test("README's tour runs: the handle stays Markdown, the chart has its PNG, the table is HTML", async () => {
  const r = await kernel.execute(readmeTour());
  assert.equal(r.reply.content.status, "ok", JSON.stringify(r.reply.content));
  const markdown = displays(r).filter((o) => "text/markdown" in o.content.data);
  assert.equal(markdown[0]!.header.msg_type, "display_data");
  assert.equal(markdown[0]!.content.data["text/markdown"], "starting");
  const updates = ofType(r, "update_display_data").filter(
    (o) => o.content.transient.display_id === markdown[0]!.content.transient.display_id,
  );
  assert.deepEqual(
    updates.map((u) => u.content.data["text/markdown"]),
    ["step 1", "step 2", "step 3"],
    "every update is Markdown",
  );
  const chart = displays(r).find((o) => "application/vnd.vegalite.v5+json" in o.content.data)!;
  assert.equal(Object.keys(chart.content.data)[0], "application/vnd.vegalite.v5+json", "the spec comes first");
  assert.ok(Buffer.from(chart.content.data["image/png"], "base64").subarray(0, 8).equals(PNG_SIGNATURE));
  assert.ok(!("image/svg+xml" in chart.content.data), "no SVG for nbconvert to strip and prefer over the PNG");
  assert.ok(chart.content.metadata["image/png"].width > 0);
  assert.match(ofType(r, "execute_result")[0]!.content.data["text/html"], /<table>[\s\S]*q_proj/);
});

test("a handle updates with its own kind, or with a bundle that changes the kind", async () => {
  const code = `const h = display.html("<i>one</i>");
await h.update("<b>two</b>");
await h.update({ "text/markdown": "**three**", "text/plain": "three" });
const j = display.json({ a: 1 });
await j.update({ b: 2 });
const g = display("first");
await g.update(["second"]);`;
  const r = await kernel.execute(code);
  assert.equal(r.reply.content.status, "ok");
  const data = displays(r).map((o) => o.content.data);
  assert.deepEqual(data[0], { "text/html": "<i>one</i>", "text/plain": "<HTML>" });
  assert.deepEqual(data[1], { "text/html": "<b>two</b>", "text/plain": "<HTML>" });
  assert.deepEqual(data[2], { "text/markdown": "**three**", "text/plain": "three" });
  assert.deepEqual(data[4]!["application/json"], { b: 2 });
  assert.equal(data[5]!["text/plain"], "'first'");
  assert.equal(data[6]!["text/plain"], "[ 'second' ]");

  const wrong = await kernel.execute(`const m = display.markdown("x"); m.update(42)`);
  assert.equal(wrong.reply.content.status, "error");
  assert.match(wrong.reply.content.evalue, /display\.markdown: expected a string, got number/);
});

test("an un-awaited promise shows as the REPL shows it, and nothing of the kernel reaches the user", async () => {
  const cases: [string, string][] = [
    ["Promise.resolve(5)", "Promise { 5 }"],
    ["new Promise(() => {})", "Promise { <pending> }"],
    ["({ later: Promise.resolve([1, 2]) })", "{ later: Promise { [ 1, 2 ] } }"],
  ];
  for (const [code, shown] of cases) assert.equal(result(await kernel.execute(code)), shown, code);
  const rejected = result(await kernel.execute("const failed = Promise.reject(new Error('no')); failed.catch(() => {}); failed"));
  assert.match(rejected!, /^Promise \{\n {2}<rejected> Error: no/);

  // Promises and timers show none of Node's async bookkeeping; deeper resources (a server's
  // socket handle) may name the store Node copies onto them, but it shows as a tag.
  const leaks: [string, boolean][] = [
    ["Promise.resolve(5)", true],
    ["console.log(Promise.resolve(1), new Promise(() => {})); 1", true],
    ["const t = setTimeout(() => {}, 10); t", true],
    ["setImmediate(() => {})", true],
    ["const i = setInterval(() => {}, 1000); clearInterval(i); require('node:util').inspect(i, { depth: 8 })", true],
    [
      "import { createServer } from 'node:net'; const srv = createServer().listen(0, '127.0.0.1'); await new Promise(r => srv.once('listening', r)); const shown = require('node:util').inspect(srv, { depth: 8 }); srv.close(); shown",
      false,
    ],
  ];
  for (const [code, noBookkeeping] of leaks) {
    const r = await kernel.execute(code);
    const text = r.outputs.map((o) => JSON.stringify(o.content)).join("\n");
    const request = r.reply.parent_header as { msg_id: string; session: string };
    const internals = ["CellScope", "execute_request", request.msg_id, request.session, "<Buffer", "outbox"];
    if (noBookkeeping) internals.push("kResourceStore", "async_id_symbol", "[cell context]");
    for (const internal of internals) assert.ok(!text.includes(internal), `${code}: shows ${internal}:\n${text}`);
  }
});

test("a string of several lines shows as its text; a one-line string stays quoted", async () => {
  assert.equal(result(await kernel.execute(`["a: 1", "b: 2", "c: 3"].join("\\n")`)), "a: 1\nb: 2\nc: 3");
  assert.equal(result(await kernel.execute(`"x".repeat(30) + "\\n" + "y".repeat(90)`)), `${"x".repeat(30)}\n${"y".repeat(90)}`);
  assert.equal(result(await kernel.execute(`"42"`)), "'42'");
  assert.equal(result(await kernel.execute(`({ s: "a\\nb" })`)), "{ s: 'a\\nb' }");
});

test("a value shown in parts: one output per part, the last as the cell's result; display() and update() keep the parts", async () => {
  const define = `const spec = { $schema: "https://vega.github.io/schema/vega-lite/v5.json", data: { values: [{ x: 1, y: 2 }] }, mark: "point",
  encoding: { x: { field: "x", type: "quantitative" }, y: { field: "y", type: "quantitative" } } };
const report = (n: number) => ({
  [Symbol.for("stillroom.displayParts")]: () => [{ "text/markdown": "| n |\\n|-|\\n| " + n + " |", "text/plain": "n " + n }, { "application/vnd.vegalite.v5+json": spec }],
  [Symbol.for("Jupyter.display")]: () => ({ "text/plain": "one bundle" }),
});
report(1)`;
  const r = await kernel.execute(define);
  assert.equal(r.reply.content.status, "ok", JSON.stringify(r.reply.content));
  const kinds = r.outputs.map((o) => o.header.msg_type).filter((t) => /display_data|execute_result/.test(t));
  assert.deepEqual(kinds, ["display_data", "execute_result"], "the table's part first, the chart's as the result");
  assert.equal(r.outputs.find((o) => o.header.msg_type === "display_data")!.content.data["text/plain"], "n 1");
  const chart = ofType(r, "execute_result")[0]!.content.data;
  assert.ok(Buffer.from(chart["image/png"], "base64").subarray(0, 8).equals(PNG_SIGNATURE), "the chart's part gets its PNG");
  assert.ok(!("text/html" in chart) && !("text/markdown" in chart));

  const d = await kernel.execute(`const h = display(report(2)); await h.update(report(3)); h.id`);
  const ids = displays(d).map((o) => [o.header.msg_type, o.content.transient.display_id]);
  const id = JSON.parse(result(d)!.replace(/'/g, '"')) as string;
  assert.deepEqual(ids, [
    ["display_data", id],
    ["display_data", `${id}/part-1`],
    ["update_display_data", id],
    ["update_display_data", `${id}/part-1`],
  ]);
  assert.equal(displays(d)[2]!.content.data["text/plain"], "n 3");

  // the SDK's reports are made so: Win-and-Tie's summary and table, then its chart of C_alpha
  const w = await kernel.execute(`sr.eval.winTie({ a: 0.96, b: 0.5 }, { a: 1, b: 1 })`);
  assert.match(String(displays(w)[0]!.content.data["text/html"]), /Win-and-Tie[\s\S]*<table/);
  assert.ok("application/vnd.vegalite.v5+json" in ofType(w, "execute_result")[0]!.content.data);
});

/** The text of the last message that drew the bar with this label. */
function lastBar(r: Reply, label: string): string {
  const drawn = displays(r).filter((o) => String(o.content.data["text/plain"]).startsWith(`${label} `));
  assert.ok(drawn.length, `a bar labelled ${label} was drawn`);
  return drawn[drawn.length - 1]!.content.data["text/plain"];
}

test("progress: a loop left by break draws where it stopped", async () => {
  const r = await kernel.execute(`for (const i of progress([...Array(100).keys()], { label: "early" })) { if (i === 40) break; }`);
  assert.match(lastBar(r, "early"), /^early {2}40% \|.*\| 40\/100 /);
  const thrown = await kernel.execute(
    `for await (const i of progress((async function* () { for (let k = 0; k < 9; k++) yield k; })(), { label: "thrown" })) { if (i === 3) throw new Error("stop"); }`,
  );
  assert.equal(thrown.reply.content.status, "error");
  assert.match(lastBar(thrown, "thrown"), /^thrown 3 it /);
});

test("progress: ticks without done() are drawn when the cell ends, and a pause draws the latest", async () => {
  const r = await kernel.execute(`const b = progress(50, { label: "ticks" }); for (let i = 0; i < 50; i++) b.tick();`);
  assert.match(lastBar(r, "ticks"), /^ticks 100% \|█+\| 50\/50 /);
  // The throttle puts off a draw; one timer draws it 100 ms later, before the cell's 300 ms pause ends.
  const paused = await kernel.execute(
    `const p = progress(10, { label: "paused" }); for (let i = 0; i < 7; i++) p.tick(); await new Promise((r) => setTimeout(r, 300)); console.log("after")`,
  );
  const order = paused.outputs.map((o) =>
    o.header.msg_type === "stream" ? "after" : String(o.content.data?.["text/plain"] ?? "").match(/^paused +\d+% \|.*\| (\d+)\/10/)?.[1],
  );
  assert.ok(order.indexOf("7") >= 0 && order.indexOf("7") < order.indexOf("after"), `7/10 drawn during the pause: ${order}`);
});

/** Runs code, waits for a message that satisfies `seen`, then interrupts. */
async function interruptWhen(code: string, seen: (m: Message) => boolean): Promise<Reply> {
  let signal: () => void = () => {};
  const ready = new Promise<void>((resolve) => (signal = resolve));
  kernel.onIopub = (m) => {
    if (seen(m)) signal();
  };
  try {
    const running = kernel.execute(code);
    await ready;
    await kernel.interrupt();
    return await running;
  } finally {
    kernel.onIopub = null;
  }
}

test("progress: an interrupted cell's bars say so", async () => {
  const firstDraw = (label: string) => (m: Message) =>
    m.header.msg_type === "display_data" && String(m.content.data?.["text/plain"]).startsWith(`${label} `);
  const loop = await interruptWhen(
    `function* forever() { for (let i = 0; ; i++) yield i; }
for (const i of progress(forever(), { total: 1e9, label: "spin" })) JSON.stringify([i]);`,
    firstDraw("spin"),
  );
  assert.equal(loop.reply.content.ename, "InterruptError");
  assert.match(lastBar(loop, "spin"), /^spin +\d+% .* interrupted$/);
  const manual = await interruptWhen(`const bar = progress(1e12, { label: "manual" }); for (;;) bar.tick();`, firstDraw("manual"));
  assert.match(lastBar(manual, "manual"), / interrupted$/);
  const html = displays(manual).filter((o) => String(o.content.data["text/plain"]).startsWith("manual "));
  assert.match(html[html.length - 1]!.content.data["text/html"], /interrupted/);
});

test("language_info names a CodeMirror 5 mode that exists: JavaScript with its TypeScript option", async () => {
  const { reply } = await kernel.request("shell", "kernel_info_request", {});
  assert.deepEqual(reply.content.language_info.codemirror_mode, { name: "javascript", typescript: true });
});
