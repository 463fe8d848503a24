// The held-out tasks: in the registry, out of the default suite (the teacher never trains on them).
import assert from "node:assert/strict";
import { test } from "node:test";
import { balancedString, isBalanced } from "../../../sdk/tasks/balanced.js";
import { closers } from "../../../sdk/tasks/brackets.js";
import { HELD_OUT, TASK_NAMES } from "../../../sdk/tasks/registry.js";
import { rngFor } from "../../../sdk/tasks/rng.js";
import { suite, task } from "../../../sdk/tasks/suite.js";
import { tokenizer } from "../../../sdk/tasks/vocab.js";

test("held-out tasks are registered but not in the default suite the teacher trains on", () => {
  assert.deepEqual(HELD_OUT, ["balanced", "reverse"]);
  for (const n of HELD_OUT) assert.ok(!TASK_NAMES.includes(n));
  assert.deepEqual(suite().names, TASK_NAMES);
  assert.deepEqual(suite(["balanced", "reverse"]).names, ["balanced", "reverse"]);
});

test("balanced: the answer is yes exactly when the brackets balance; about half are; strings are seeded", () => {
  const t = task("balanced", {}, { seed: 3 });
  const open = new Set(["(", "["]);
  let yes = 0;
  for (let i = 0; i < 400; i++) {
    const e = t.example(i, "train");
    const words = tokenizer.decode(e.prompt).split(" ");
    assert.deepEqual(words.slice(0, 2), ["<bos>", "brackets"]);
    assert.deepEqual(words.slice(-2), ["?", "="]);
    const s = words.slice(2, -2);
    assert.equal(s.length, 12);
    // an independent check with a stack
    const stack: string[] = [];
    let ok = true;
    for (const b of s) {
      if (open.has(b)) stack.push(b);
      else if (stack.pop() !== (b === ")" ? "(" : "[")) ok = false;
    }
    ok &&= stack.length === 0;
    assert.equal(tokenizer.decode(e.answer), `${ok ? "yes" : "no"} <eos>`, s.join(" "));
    yes += ok ? 1 : 0;
  }
  assert.ok(yes > 160 && yes < 240, `${yes} of 400 balanced`);
  assert.equal(t.show(5), task("balanced", {}, { seed: 3 }).show(5));
  assert.notEqual(t.show(5, "train"), t.show(5, "eval"));
});

test("balancedString stays within depth and always balances", () => {
  const rng = rngFor(1, "t");
  for (let i = 0; i < 200; i++) {
    const s = balancedString(rng, 16, 3, 3);
    assert.ok(isBalanced(s), String(s));
    let depth = 0;
    for (const b of s) {
      depth += b % 2 === 0 ? 1 : -1;
      assert.ok(depth <= 3 && depth >= 0);
    }
  }
  assert.deepEqual(closers([0, 2]), [3, 1]);
  assert.equal(isBalanced([0, 2]), false);
});

test("reverse: distinct letters, answered backwards; bad options name the field", () => {
  const t = task("reverse", { length: 5 }, { seed: 2 });
  for (let i = 0; i < 50; i++) {
    const e = t.example(i);
    const words = tokenizer.decode(e.prompt).split(" ");
    const xs = words.slice(2, -2);
    assert.deepEqual(words.slice(0, 2), ["<bos>", "copy"]);
    assert.deepEqual(words.slice(-2), ["?", "="]);
    assert.equal(new Set(xs).size, 5);
    assert.equal(tokenizer.decode(e.answer), `${[...xs].reverse().join(" ")} <eos>`);
  }
  assert.throws(() => task("reverse", { length: 27 }), /tasks\.reverse: length = 27: expected an integer in \[1, 26\]/);
  assert.throws(() => task("balanced", { length: 7 }), /tasks\.balanced: length = 7: expected an even integer/);
  assert.throws(() => task("balanced", { types: 5 }), /tasks\.balanced: types = 5: expected an integer in \[1, 4\]/);
});
