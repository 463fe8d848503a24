// The main thread's cache of type warnings: answers hold until a cell that may declare is added.
import assert from "node:assert/strict";
import { test } from "node:test";
import { CheckedCells, mayDeclareWords } from "../../kernel/language/checked-cells.js";

test("expressions, calls and displays declare nothing; declarations, imports and what a scanner may misread may", () => {
  for (const code of ["1", "x + 1", "display.markdown('hi')", "total = total + 2", "await fit(model)", "f(letters, typed)"])
    assert.equal(mayDeclareWords(code), false, code);
  for (const code of ["let a = 1", "const b = 2", "var c", "function f() {}", "class K {}", "type T = number", "interface I {}"])
    assert.equal(mayDeclareWords(code), true, code);
  for (const code of ["enum E { A }", "namespace N {}", "declare const d: number", "import x from 'y'", "export {}", "using r = open()"])
    assert.equal(mayDeclareWords(code), true, code);
  // a template or a slash: the worker's scanner may misread what follows, so these count as may
  for (const code of ["`${1}`", "a / b", "x // a note"]) assert.equal(mayDeclareWords(code), true, code);
});

test("an answer holds across cells that declare nothing and goes with one that may", () => {
  const cache = new CheckedCells();
  cache.set("shade.toFixed(1)", ["warning: line 1: no toFixed"]);
  cache.added("1 + 1");
  cache.added("shade.toFixed(1)");
  assert.deepEqual(cache.get("shade.toFixed(1)"), ["warning: line 1: no toFixed"]);
  cache.added("let shade = 0.5");
  assert.equal(cache.get("shade.toFixed(1)"), undefined);
});

test("the cache stays bounded", () => {
  const cache = new CheckedCells(3);
  for (const code of ["a", "b", "c", "d"]) cache.set(code, []);
  assert.deepEqual(
    ["a", "b", "c", "d"].map((c) => cache.get(c) !== undefined),
    [false, false, false, true],
  );
});
