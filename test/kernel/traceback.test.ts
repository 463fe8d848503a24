// Tracebacks as a notebook user reads them, through the kernel's own client over real zeromq
// sockets: the user's frames first, at the line and column they typed (types stripped and
// declarations rewritten earlier on the line notwithstanding), with the line shown; library frames
// folded into one line; nothing of the kernel's, in a traceback or in a stack the user prints.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { KernelClient, type Reply } from "../../kernel/client.js";

let kernel: KernelClient;

before(async () => {
  kernel = await KernelClient.start({ args: ["--typecheck", "off"], stderr: "ignore" });
  const r = await kernel.execute("const a = tf.ones([2, 3]); const b = tf.ones([4, 5]);");
  assert.equal(r.reply.content.status, "ok");
});
after(async () => {
  await kernel.shutdown();
});

// biome-ignore lint/suspicious/noControlCharactersInRegex: the traceback's colours are ANSI escapes
const plain = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, "");

async function traceback(code: string): Promise<string[]> {
  const r = await kernel.execute(code, { stopOnError: false });
  assert.equal(r.reply.content.status, "error", `${code} did not fail`);
  const error = r.outputs.find((o) => o.header.msg_type === "error")!;
  assert.deepEqual(error.content.traceback, r.reply.content.traceback);
  return (r.reply.content.traceback as string[]).map(plain);
}

/** The column (from 0) of the caret under `lineText` in the traceback, for each time it is shown. */
function carets(lines: string[], lineText: string): number[] {
  const found: number[] = [];
  for (const [i, l] of lines.entries()) {
    if (!l.endsWith(`| ${lineText}`)) continue;
    const caret = lines[i + 1]!;
    found.push(caret.slice(caret.indexOf("| ") + 2).indexOf("^"));
  }
  return found;
}

/** Nothing of the kernel's: its files, node:vm, the wrapper's promise, paths into packages. */
function assertNoInternals(text: string): void {
  for (const internal of ["/dist/kernel/", "node:vm", "sigintHandlersWrap", "runInThisContext", "new Promise (<anonymous>)", "Handler."]) {
    assert.ok(!text.includes(internal), `shows ${internal}:\n${text}`);
  }
}

const result = (r: Reply) => r.outputs.find((o) => o.header.msg_type === "execute_result")?.content.data["text/plain"] as string;

test("a tfjs error shows the user's line first, with the source, and folds the library's frames", async () => {
  const lines = await traceback("const c = 1;\ntf.matMul(a, b)");
  assert.match(lines[0]!, /^Error: matMul: inner sizes 3 and 4/);
  assert.match(lines[1]!, /^In\[\d+\], line 2$/);
  assert.equal(lines[2], "  2 | tf.matMul(a, b)");
  assert.deepEqual(carets(lines, "tf.matMul(a, b)"), [3]);
  assert.match(lines.at(-1)!, /^\.\.\. \d+ frames in @tensorflow\/tfjs-core/);
  assert.ok(!lines.some((l) => l.includes("node_modules")), lines.join("\n"));
  assertNoInternals(lines.join("\n"));
});

test("the user's frames survive a library stack deeper than V8's default ten frames", async () => {
  // Nested tidies put well over ten tfjs frames between the error and the cell.
  const code = "function product() {\n  return tf.tidy(() => tf.tidy(() => tf.tidy(() => tf.matMul(a, b))))\n}\nproduct()";
  const lines = await traceback(code);
  const headers = lines.filter((l) => /^In\[\d+\], line/.test(l));
  assert.ok(
    headers.some((l) => l.endsWith("line 2, in product")),
    lines.join("\n"),
  );
  assert.ok(
    headers.some((l) => l.endsWith("line 4")),
    `the cell's own line 4 is shown:\n${lines.join("\n")}`,
  );
  assert.match(lines.at(-1)!, /^\.\.\. \d+ frames in @tensorflow\/tfjs-core/);
});

test("no frame points outside the cell: a one-line async cell has line 1 only", async () => {
  // The wrapper that runs an async cell is called from a line after the cell's last.
  for (const code of ["await null; tf.matMul(a, b)", "tf.matMul(a, b); await null", "globalThis.nothing.x; await null"]) {
    const lines = await traceback(code);
    const named = lines.join("\n").match(/In\[\d+\](, line |:)\d+/g) ?? [];
    assert.ok(named.length > 0, lines.join("\n"));
    for (const n of named) assert.match(n, /(line |:)1$/, lines.join("\n"));
  }
});

test("columns are where the user typed them, after stripped types and rewritten declarations", async () => {
  const cases = [
    // A plain script: `const` becomes `var`, the annotation goes.
    "const z: number = 1; throw new Error('boom')",
    // An async cell: declarations become assignments, the cell is wrapped.
    "const w: Map<string, number> = new Map(); await null; throw new Error('boom')",
    "await null\nconst q: string = 'x'; let r: number = 2; throw new Error('boom')",
  ];
  for (const code of cases) {
    const lines = await traceback(code);
    const line = code.split("\n").find((l) => l.includes("throw"))!;
    // V8 places a thrown error at its `new`.
    assert.deepEqual(carets(lines, line), [line.indexOf("new Error")], lines.join("\n"));
  }
  // The last expression of an async cell (wrapped in `return (...)`).
  const last = await traceback("await null\nconst s: string = 'x'; s.missing.field");
  const line = "const s: string = 'x'; s.missing.field";
  assert.deepEqual(carets(last, line), [line.indexOf("field")], last.join("\n"));
});

test("frames of a function defined in an earlier cell name that cell and its function", async () => {
  await kernel.execute("function scale(t: tf.Tensor, k: number): tf.Tensor {\n  return tf.matMul(t, tf.ones([k, k]))\n}");
  const lines = await traceback("const out: tf.Tensor = scale(a, 7)");
  const headers = lines.filter((l) => /^In\[\d+\], line/.test(l));
  assert.equal(headers.length, 2, lines.join("\n"));
  assert.match(headers[0]!, /, line 2, in scale$/);
  assert.match(headers[1]!, /, line 1$/);
  assert.deepEqual(carets(lines, "const out: tf.Tensor = scale(a, 7)"), [23]);
  assertNoInternals(lines.join("\n"));
});

test("deep recursion is shown once, with the count of repeats", async () => {
  const lines = await traceback("function down(n: number): number { return down(n + 1) + 1 }\ndown(0)");
  assert.match(lines[0]!, /^RangeError: Maximum call stack size exceeded/);
  assert.ok(
    lines.some((l) => /\[the frame above repeats \d+ more times\]/.test(l)),
    lines.join("\n"),
  );
  assert.ok(lines.length < 20, `${lines.length} lines`);
});

test("a syntax error after a type annotation names the column the user typed", async () => {
  const lines = await traceback("let n: number = 1; let n = 2");
  assert.match(lines[0]!, /^SyntaxError: Identifier 'n' has already been declared \(line 1, column 24\)/);
  assert.deepEqual(carets(lines, "let n: number = 1; let n = 2"), [23]);
});

test("a rejected promise shown as a value, an error value and a printed stack hold no kernel frames", async () => {
  const rejected = result(await kernel.execute("Promise.reject(new Error('rejected value'))"));
  assert.match(rejected, /<rejected> Error: rejected value\n\s+at In\[\d+\]:1:16/);
  assertNoInternals(rejected);
  const value = result(await kernel.execute("const e: Error = new Error('as a value'); e"));
  assert.match(value, /^Error: as a value\n\s+at In\[\d+\]:1:18/);
  assertNoInternals(value);
  const printed = await kernel.execute("await null; console.log(new Error('printed').stack)");
  const text = printed.outputs.find((o) => o.header.msg_type === "stream")!.content.text as string;
  assert.match(text, /^Error: printed\n\s+at In\[\d+\]:1:25\n$/);
});
