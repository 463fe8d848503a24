import assert from "node:assert/strict";
import { test } from "node:test";
import vm from "node:vm";
import { CellSyntaxError, compileCell, patternNames, parse } from "../../kernel/rewrite.js";

/** Runs compiled cells in a fresh context, as the executor does in its own realm. */
function session() {
  const context = vm.createContext({
    __stillroom: { import: async (s: string) => import(s), interop: (ns: unknown) => ns, importMeta: {} },
  });
  return async (code: string) => {
    const cell = compileCell(code);
    let value = vm.runInContext(cell.js, context);
    if (cell.isAsync) value = await value;
    return { value: cell.hasResult ? value : undefined, cell, context };
  };
}

test("type annotations, interfaces, generics, enums and classes run", async () => {
  const run = session();
  const { value } = await run(`interface P<T> { v: T }
enum Color { Red, Green }
class Box<T> implements P<T> { constructor(public v: T) {} }
const b: Box<number> = new Box<number>(Color.Green);
b.v`);
  assert.equal(value, 1);
});

test("let and const can be declared again in a later cell", async () => {
  const run = session();
  await run("const x: number = 1");
  await run("let x = 'two'");
  assert.equal((await run("x")).value, "two");
  await run("class C { a = 1 }");
  await run("class C { b = 2 }");
  assert.deepEqual(Object.keys((await run("new C()")).value as object), ["b"]);
});

test("top-level await keeps declarations as globals and returns the last expression", async () => {
  const run = session();
  const { value, cell } = await run(
    "const a = await Promise.resolve(20)\nlet { b, c: [d] } = { b: 1, c: [1] }\nfunction f() { return a + b + d }\nf()",
  );
  assert.equal(cell.isAsync, true);
  assert.equal(value, 22);
  assert.equal((await run("f() + a")).value, 42);
});

test("a cell whose last statement is a declaration has no result", async () => {
  const run = session();
  assert.equal((await run("let y = 5")).cell.hasResult, false);
  assert.equal((await run("await 1; let z = 5")).cell.hasResult, false);
  assert.equal((await run("y = 6")).value, 6);
});

test("static imports become awaited loads of the module namespace", async () => {
  const run = session();
  const { value } = await run(
    "import * as path from 'node:path'\nimport { join as j } from 'node:path'\nimport def from 'node:path'\nj('a', 'b') + path.sep + typeof def.join",
  );
  assert.equal(value, "a/b/function");
});

test("line numbers survive the rewrite", () => {
  const code = "import { x } from 'm'\n\ninterface I {\n  a: number\n}\nconst y: I = { a: 1 }\nawait y\nthrow new Error('line 8')";
  const { js } = compileCell(code);
  const lines = js.split("\n");
  assert.match(lines[7]!, /line 8/);
  assert.match(lines[5]!, /y = \{ a: 1 \}/);
});

test("syntax errors name the cell line and column", () => {
  assert.throws(
    () => compileCell("let a = 1\nlet b = )"),
    (e: unknown) => e instanceof CellSyntaxError && e.line === 2,
  );
  assert.throws(() => compileCell("let a: = 1"), CellSyntaxError);
  assert.throws(
    () => parse("(("),
    (e: unknown) => e instanceof CellSyntaxError && e.line === 1,
  );
});

test("pattern names cover nested, default and rest bindings", () => {
  const program = parse("const { a, b: [c, ...d], e = 1, ...f } = o") as any;
  assert.deepEqual(patternNames(program.body[0].declarations[0].id), ["a", "c", "d", "e", "f"]);
});

test("dynamic import() and exports are rewritten", async () => {
  const run = session();
  const { value } = await run("export const q = 3\nexport default 4\nconst m = await import('node:os'); typeof m.cpus + q");
  assert.equal(value, "function3");
});

test("a parenthesised last expression after top-level await is the result", async () => {
  const run = session();
  const { value } = await run("const g = await Promise.resolve([2]);\n({ a: g });");
  assert.equal(JSON.stringify(value), '{"a":[2]}');
  assert.equal((await run("await 0;\n(1 + 2) * 3")).value, 9);
  assert.equal((await run("await 0\n'str' // trailing comment")).value, "str");
});

test("positions in the compiled script map back to where the cell typed them", () => {
  const code =
    "import { x } from 'm'\nconst w: Map<string, number> = new Map(); let q: number = 2\nclass K<T> { constructor(public v: T) {} }\nawait w.get('k')!.toFixed(q)";
  const { js, positions } = compileCell(code, { positions: true });
  const where = (text: string, name: string) => {
    const offset = text.indexOf(name);
    const line = text.slice(0, offset).split("\n").length;
    return { line, column: offset - text.lastIndexOf("\n", offset - 1) };
  };
  for (const name of ["new Map()", "constructor(", "toFixed(q)", "w.get", "class K"]) {
    const at = where(js, name);
    assert.deepEqual(positions!.toCell(at.line, at.column), where(code, name), name);
  }
  // The async wrapper's own text has no place in the cell.
  const lines = js.split("\n");
  assert.equal(positions!.toCell(lines.length, 3), null);
  assert.equal(positions!.toCell(1, 1), null);
});
