// The kernel's matching of user input without backtracking regular expressions: history globs and
// the dotted path before the cursor, checked against the regular expressions they replace (on
// inputs small enough for those) and on inputs built to make those take quadratic or worse time.
import assert from "node:assert/strict";
import { test } from "node:test";
import { globMatch } from "../../kernel/history.js";
import { tokenAt } from "../../kernel/runtime-complete.js";

function globOracle(pattern: string, text: string): boolean {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${body}$`, "s").test(text);
}

test("globMatch agrees with the regular expression on every small pattern and text", () => {
  const alphabet = ["a", "b", "*", "?"];
  const patterns: string[] = [""];
  for (let len = 1; len <= 4; len++)
    for (const p of patterns.filter((x) => x.length === len - 1)) for (const c of alphabet) patterns.push(p + c);
  const texts = ["", "a", "b", "ab", "ba", "aab", "abab", "bbba", "a*b", "a.b", "aaaa"];
  let checked = 0;
  for (const p of patterns)
    for (const t of texts) {
      assert.equal(globMatch(p, t), globOracle(p, t), `${JSON.stringify(p)} on ${JSON.stringify(t)}`);
      checked++;
    }
  assert.ok(checked > 3000);
});

test("globMatch is fast on the inputs that make a regular expression backtrack", () => {
  const text = "a".repeat(5000);
  const started = performance.now();
  assert.equal(globMatch(`${"*a".repeat(30)}*b`, text), false);
  assert.equal(globMatch(`${"*a".repeat(30)}*`, text), true);
  assert.ok(performance.now() - started < 2000);
});

test("tokenAt finds the dotted path and the partial name before the cursor", () => {
  assert.deepEqual(tokenAt("sr.models.lo", 12), { path: ["sr", "models"], prefix: "lo", start: 10 });
  assert.deepEqual(tokenAt("x = a ?. b . c", 14), { path: ["a", "b"], prefix: "c", start: 13 });
  assert.deepEqual(tokenAt("foo(", 4), { path: [], prefix: "", start: 4 });
  assert.deepEqual(tokenAt("1.5", 3), { path: [], prefix: "", start: 3 });
  assert.deepEqual(tokenAt("été.", 4), { path: ["été"], prefix: "", start: 4 });
  const chain = `${"x.".repeat(40_000)}y`;
  const started = performance.now();
  const { path, prefix } = tokenAt(chain, chain.length);
  assert.equal(path.length, 40_000);
  assert.equal(prefix, "y");
  assert.ok(performance.now() - started < 2000);
});
