// The TypeScript language service over notebook cells: the pure class for the behaviour, the
// worker client once for the thread, the protocol and failure handling. One NotebookLanguage is
// shared (each test declares its own names), so TypeScript's lib is loaded once.
import assert from "node:assert/strict";
import { test } from "node:test";
import { startLanguageService } from "../../kernel/language/client.js";
import { NotebookLanguage } from "../../kernel/language/notebook.js";
import { mayDeclare, toScript } from "../../kernel/language/script.js";

const lang = new NotebookLanguage();

/** Completion with the cursor at the end of `code`. */
function completeAtEnd(code: string) {
  return lang.complete(code, code.length);
}

function timed<T>(f: () => T): { value: T; ms: number } {
  const start = performance.now();
  const value = f();
  return { value, ms: performance.now() - start };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

test("completes members of a class declared in an earlier cell", (t) => {
  const first = timed(() => lang.complete("Ma", 2));
  t.diagnostic(`first completion (loads lib and packages): ${first.ms.toFixed(0)} ms`);
  lang.addCell(
    "/** A point in the plane. */\nclass Point {\n  constructor(public x: number, public y: number) {}\n  norm(): number { return Math.hypot(this.x, this.y); }\n}",
  );
  lang.addCell("const p = new Point(3, 4);");
  const all = completeAtEnd("p.");
  assert.deepEqual([...all.matches].sort(), ["norm", "x", "y"]);
  assert.equal(all.start, 2);
  assert.equal(all.end, 2);
  const partial = completeAtEnd("const n = p.no");
  assert.deepEqual(partial.matches, ["norm"]);
  assert.equal(partial.start, "const n = p.".length, "start is where the partial name begins");
  assert.equal(partial.end, "const n = p.no".length);
});

test("tf. completes the tfjs-core API, and the other preloaded globals are typed", () => {
  const { matches, start } = completeAtEnd("const y = tf.");
  assert.ok(matches.includes("matMul"), "tf.matMul");
  assert.ok(matches.includes("tensor"), "tf.tensor");
  assert.equal(start, "const y = tf.".length);
  assert.ok(completeAtEnd("display.").matches.includes("vegaLite"));
  assert.ok(completeAtEnd("sr.").matches.includes("version"));
  assert.ok(completeAtEnd("aq.fr").matches.includes("from"));
  const code = [
    "await display.html('<b>hi</b>');",
    "const name: string = await input('name?', { password: true });",
    "const bar = progress(10); bar.tick();",
    "comms.registerTarget('t', (comm) => comm.send({}));",
    "const t: tf.Tensor = tf.tensor([1, 2]);",
    "const table = aq.table({ a: [1] });",
    "display.nope();",
  ].join("\n");
  assert.deepEqual(lang.diagnostics(code), ["line 7: Property 'nope' does not exist on type 'Display'. (TS2339)"]);
});

test("after `let` is declared again with another type, completion shows the new type's members", () => {
  lang.addCell("let shape = 'circle';\nconst loud = shape.toUpperCase();");
  assert.ok(completeAtEnd("shape.").matches.includes("toUpperCase"));
  lang.addCell("let shape = [1, 2, 3];");
  const { matches } = completeAtEnd("shape.");
  assert.ok(matches.includes("push"), "array members");
  assert.ok(!matches.includes("toUpperCase"), "no string members");
  // The first cell keeps its own binding: loud is still a string.
  assert.deepEqual(lang.diagnostics("const l: string = loud;"), []);
  // The renamed old binding never shows up.
  assert.ok(!lang.complete("sha", 3).matches.some((m) => m.includes("$")));
});

test("inspect shows a documented function's signature and doc comment in both MIME types", () => {
  lang.addCell(
    [
      "/**",
      " * Adds two numbers.",
      " * @param a the first number",
      " * @param b the second number",
      " */",
      "function add(a: number, b: number): number {",
      "  return a + b;",
      "}",
    ].join("\n"),
  );
  const bundle = lang.inspect("add(1, 2)", 2, 0);
  assert.ok(bundle, "found");
  assert.match(bundle["text/plain"]!, /^function add\(a: number, b: number\): number/);
  assert.match(bundle["text/plain"]!, /Adds two numbers\./);
  assert.match(bundle["text/markdown"]!, /```typescript\nfunction add\(a: number, b: number\): number\n```/);
  assert.match(bundle["text/markdown"]!, /Adds two numbers\./);
  assert.match(bundle["text/markdown"]!, /`a` — the first number/);
  // At the end of an identifier, and inside a call's parentheses.
  assert.match(lang.inspect("Math.max", 8, 0)!["text/plain"]!, /Math\.max\(\.\.\.values: number\[\]\): number/);
  assert.match(lang.inspect("add(1, ", 7, 0)!["text/plain"]!, /^function add/);
  // Detail level 1 adds the cell's source of the definition.
  assert.match(lang.inspect("add", 3, 1)!["text/plain"]!, /return a \+ b;/);
  assert.equal(lang.inspect("   ", 1, 0), null);
});

test("diagnostics name cell lines, and REPL patterns are not errors", (t) => {
  assert.deepEqual(lang.diagnostics('let ok = 1;\n\nlet n: number = "s";'), [
    "line 3: Type 'string' is not assignable to type 'number'. (TS2322)",
  ]);
  lang.addCell("const limit = 10;");
  const valid = [
    "import * as fs from 'node:fs';",
    "const limit = await Promise.resolve('ten');",
    "const upper: string = limit.toUpperCase();",
    "for await (const chunk of [Promise.resolve(1)]) chunk.toFixed();",
    "fs.existsSync(upper);",
  ].join("\n");
  const { value, ms } = timed(() => lang.diagnostics(valid));
  assert.deepEqual(value, []);
  t.diagnostic(`diagnostics of a 5-line cell: ${ms.toFixed(0)} ms`);
});

test("imports in earlier cells give values and types to later cells, and can be declared again", () => {
  lang.addCell("import * as path from 'node:path';\nimport { readFileSync as rfs, type Stats } from 'node:fs';");
  assert.deepEqual(completeAtEnd("path.jo").matches, ["join"]);
  assert.deepEqual(
    lang.diagnostics("const parsed: path.ParsedPath = path.parse('/a/b');\nlet st: Stats | undefined;\nrfs('x', 'utf8').length;"),
    [],
  );
  lang.addCell("const path = 42;");
  assert.deepEqual(lang.diagnostics("const n: number = path;"), []);
});

test("an earlier cell becomes a script: imports move to a UMD shim, export goes, declare global opens", () => {
  const cell = toScript(
    "import fs, { join as j } from 'node:path';\nimport 'node:fs';\nexport const a = 1;\ndeclare global { var g: number }",
    "__ns",
  );
  assert.deepEqual(cell.names, ["fs", "j", "a", "g"]);
  assert.equal(cell.text, "import fs = __ns._0; import j = __ns._1;\n\n const a = 1;\ndeclare var g: number");
  assert.equal(
    cell.shim,
    "import _0 from 'node:path';\nimport { join as _1 } from 'node:path';\nimport 'node:fs';\nexport { _0, _1 };\nexport as namespace __ns;",
  );
  assert.ok(cell.bareImport);
});

test("offsets are UTF-16: an emoji before the cursor still completes", () => {
  const code = 'const face = "😀"; Math.ma';
  const { matches, start, end } = lang.complete(code, code.length);
  assert.ok(matches.includes("max"));
  assert.equal(start, code.length - 2);
  assert.equal(end, code.length);
  assert.equal(code.slice(start, end), "ma");
  assert.deepEqual(lang.diagnostics('const s = "😀🎉";\nlet k: string = 1;'), [
    "line 2: Type 'number' is not assignable to type 'string'. (TS2322)",
  ]);
});

test("steady state: repeated completion and diagnostics of small cells stay right (their times are reported, not asserted)", (t) => {
  const completions: number[] = [];
  const checks: number[] = [];
  for (let i = 0; i < 15; i++) {
    const c = timed(() => lang.complete(`p.no${"o".repeat(i % 2)}`, 4));
    assert.ok(c.value.matches.includes("norm"), `completion ${i}`);
    completions.push(c.ms);
    const d = timed(() => lang.diagnostics(`const d${i} = p.norm() + ${i};\nconst e${i}: string = d${i};`));
    assert.deepEqual(d.value, ["line 2: Type 'number' is not assignable to type 'string'. (TS2322)"], `diagnostics ${i}`);
    checks.push(d.ms);
  }
  const tfMs = median(Array.from({ length: 9 }, (_, i) => timed(() => lang.complete(`tf.m${"a".repeat(i % 2)}`, 4)).ms));
  t.diagnostic(
    `median completion ${median(completions).toFixed(1)} ms, tf. completion ${tfMs.toFixed(1)} ms, diagnostics ${median(checks).toFixed(1)} ms`,
  );
});

test("the worker client answers by id, survives a failing call, and rejects at once when the worker is gone", async (t) => {
  const spawned = performance.now();
  const client = await startLanguageService({ maxRestarts: 0 });
  try {
    client.addCell("interface Config { depth: number; width: number }\nconst config: Config = { depth: 2, width: 8 };");
    const first = await client.complete("config.", 7);
    t.diagnostic(`worker: first completion ${(performance.now() - spawned).toFixed(0)} ms after spawn`);
    const times = await client.whenReady();
    t.diagnostic(
      `worker: TypeScript loaded in ${times.importMs.toFixed(0)} ms, warm-up ${times.warmMs.toFixed(0)} ms, ready ${times.wallMs.toFixed(0)} ms after spawn`,
    );
    assert.deepEqual(first.matches, ["depth", "width"]);
    const started = performance.now();
    const [completion, warnings, bundle] = await Promise.all([
      client.complete("config.de", 9),
      client.diagnostics("config.depth = 'deep';"),
      client.inspect("config", 3, 0),
    ]);
    t.diagnostic(`worker: completion + diagnostics + inspect round trip ${(performance.now() - started).toFixed(0)} ms`);
    assert.deepEqual(completion, { matches: ["depth"], start: 7, end: 9 });
    assert.deepEqual(warnings, ["line 1: Type 'string' is not assignable to type 'number'. (TS2322)"]);
    assert.match(bundle!["text/plain"]!, /const config: Config/);

    // A call that throws inside the worker rejects alone; the next call is answered.
    await assert.rejects(
      (client as unknown as { call(m: string, a: unknown[]): Promise<unknown> }).call("nope", []),
      /unknown language method/,
    );
    assert.deepEqual((await client.complete("config.w", 8)).matches, ["width"]);

    // A dead worker: calls reject at once.
    await client.thread!.terminate();
    await new Promise((resolve) => setImmediate(resolve));
    const before = performance.now();
    await assert.rejects(client.complete("config.", 7), /exited|not running/);
    assert.ok(performance.now() - before < 2_000, "rejects at once, not after the 10 s call timeout");
  } finally {
    await client.close();
  }
  await assert.rejects(client.diagnostics("1"), /closed/);
});

test("mayDeclare is false only for cells that declare nothing (they skip the parse in addCell)", () => {
  const nothing = [
    "1",
    "model.fit(x, { epochs: 3 })",
    "display.html('<b>x</b>')",
    "// const in a comment\nf()",
    "'let' + \"type\"",
    "a?.b ?? c",
  ];
  const something = [
    "const a = 1",
    "let b",
    "var c = 2",
    "function f() {}",
    "class A {}",
    "interface I { x: number }",
    "type T = number",
    "enum E { A }",
    "namespace N { export const x = 1 }",
    "declare global { var g: number }",
    "declare const d: number",
    "import fs from 'node:fs'",
    "import 'side-effect'",
    "export default 3",
    "await using r = open()",
    // Misread by a scanner alone: a template's tail, a regular expression with a quote.
    "`${a}`; const x = 1",
    "/'/.test(s); const y = 1",
  ];
  for (const code of nothing) {
    assert.equal(mayDeclare(code), false, code);
    const script = toScript(code, "ns");
    assert.deepEqual([script.names, script.shim], [[], undefined], code);
  }
  for (const code of something) assert.equal(mayDeclare(code), true, code);
});

test("cells that ran reach the worker with the next request, in one message", async (t) => {
  const alive = setInterval(() => {}, 1000); // an idle worker does not hold the process open
  t.after(() => clearInterval(alive));
  const client = await startLanguageService();
  try {
    await client.whenReady();
    const posted: unknown[] = [];
    const worker = client.thread!;
    const post = worker.postMessage.bind(worker);
    worker.postMessage = (message: unknown) => {
      posted.push(message);
      post(message);
    };
    for (const code of ["const width = 3;", "1", "const height = width * 2;"]) client.addCell(code);
    assert.equal(posted.length, 0, "nothing waits on addCell: it is not sent alone");
    assert.deepEqual((await client.complete("hei", 3)).matches, ["height"]);
    assert.equal(posted.length, 1);
    assert.deepEqual(
      (posted[0] as { method: string }[]).map((r) => r.method),
      ["addCell", "addCell", "addCell", "complete"],
    );
  } finally {
    await client.close();
  }
});

test("a cell that holds the main thread past a call's timeout does not get the worker stopped: its answer is read first", async (t) => {
  const alive = setInterval(() => {}, 1000); // an idle worker does not hold the process open (a kernel's sockets do)
  t.after(() => clearInterval(alive));
  const client = await startLanguageService({ timeoutMs: 300, startTimeoutMs: 5_000 });
  try {
    client.addCell("const depth: number = 2;");
    await client.whenReady();
    const worker = client.thread;
    // a cell as the kernel runs one, from a callback of the event loop (not from the worker's port,
    // whose pending messages Node reads right after the callback), holding the thread: a training
    // loop that awaits only promises never lets the loop turn
    const hold = (ms: number) =>
      new Promise<void>((resolve) =>
        setImmediate(() => {
          const until = performance.now() + ms;
          while (performance.now() < until) {}
          resolve();
        }),
      );
    const warnings = client.diagnostics("const width: number = 'wide';");
    await hold(1_200);
    assert.deepEqual(await warnings, ["line 1: Type 'string' is not assignable to type 'number'. (TS2322)"]);
    assert.equal(client.thread, worker, "the same worker answers");
    const [completion] = await Promise.all([client.complete("dep", 3), hold(700)]);
    assert.deepEqual(completion.matches, ["depth"]);
    assert.equal(client.thread, worker);
  } finally {
    await client.close();
  }
});

test("a worker that dies now and then is replaced however long the kernel lives; one that keeps dying is not", async (t) => {
  const alive = setInterval(() => {}, 1000); // an idle worker does not hold the process open (a kernel's sockets do)
  t.after(() => clearInterval(alive));
  const client = await startLanguageService({ maxRestarts: 1, restartWindowMs: 60_000 });
  const replaced = async () => {
    await client.thread!.terminate();
    await new Promise((resolve) => setImmediate(resolve));
    return client.thread !== null;
  };
  try {
    client.addCell("const depth = 2;");
    await client.whenReady();
    assert.ok(await replaced(), "the first death is replaced");
    await client.whenReady();
    assert.equal(await replaced(), false, "a second death within the window is not");
    await assert.rejects(client.complete("dep", 3), /exited|not running/);
  } finally {
    await client.close();
  }
  const again = await startLanguageService({ maxRestarts: 1, restartWindowMs: 1_000 });
  try {
    again.addCell("const depth = 2;");
    await again.whenReady();
    await again.thread!.terminate();
    await new Promise((resolve) => setTimeout(resolve, 1_100)); // the window passes
    await again.whenReady();
    await again.thread!.terminate();
    await new Promise((resolve) => setImmediate(resolve));
    assert.ok(again.thread !== null, "replaced again once the window has passed");
    await again.whenReady();
    assert.deepEqual((await again.complete("dep", 3)).matches, ["depth"], "the replacement has the cells");
  } finally {
    await again.close();
  }
});
