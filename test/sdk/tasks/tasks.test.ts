import { test } from "node:test";
import assert from "node:assert/strict";
import { suite, task } from "../../../sdk/tasks/suite.js";
import { TASK_NAMES } from "../../../sdk/tasks/registry.js";
import { TOKENS, VOCAB_SIZE, tokenizer, id, DIGITS, LETTERS, LM_WORDS } from "../../../sdk/tasks/vocab.js";
import { closers } from "../../../sdk/tasks/brackets.js";
import { SORT_SYMBOLS } from "../../../sdk/tasks/sort.js";
import { addDigits } from "../../../sdk/tasks/add.js";
import { recallMinLength } from "../../../sdk/tasks/recall.js";
import { exampleRow } from "../../../sdk/tasks/task.js";
import { withFiller } from "../../../sdk/tasks/filler.js";
import { rngFor } from "../../../sdk/tasks/rng.js";
import type { Example } from "../../../sdk/tasks/spec.js";

const dec = (ids: number[]) => tokenizer.decode(ids).split(" ");
const key = (e: Example) => JSON.stringify([e.prompt, e.answer]);

test("one shared vocabulary under 128 tokens, with a display tokenizer", () => {
  assert.ok(TOKENS.length <= VOCAB_SIZE && VOCAB_SIZE <= 128);
  const s = "<bos> sort c a b = a b c <eos>";
  assert.equal(tokenizer.decode(tokenizer.encode(s)), s);
  assert.equal(tokenizer.decode(tokenizer.encode(s), { skipSpecialTokens: true }), "sort c a b = a b c");
  assert.throws(() => id("zebra"), /no token "zebra"/);
});

test("seven tasks; default examples are at least 64 tokens; seeded and deterministic", () => {
  assert.deepEqual(TASK_NAMES, ["recall", "copy", "sort", "add", "count", "brackets", "lm"]);
  const a = suite(undefined, { seed: 1 });
  const b = suite(undefined, { seed: 1 });
  const c = suite(undefined, { seed: 2 });
  for (const t of a) {
    for (let i = 0; i < 20; i++) {
      const e = t.example(i);
      assert.ok(e.prompt.length + e.answer.length >= 64, `${t.name}: ${e.prompt.length + e.answer.length} tokens`);
      assert.equal(e.answer.at(-1), id("<eos>"));
      assert.equal(e.prompt.at(-1), id("="));
      assert.ok([...e.prompt, ...e.answer].every((x) => x >= 0 && x < TOKENS.length));
      assert.ok(e.given === undefined || e.given.length === e.answer.length, `${t.name}: given marks every answer token`);
      assert.ok(e.given?.at(-1) !== true, `${t.name}: <eos> is predicted`);
    }
    const e0 = t.examples(5);
    assert.deepEqual(e0, b.task(t.name).examples(5));
    assert.notDeepEqual(e0, c.task(t.name).examples(5));
    assert.notDeepEqual(t.example(0, "train"), t.example(0, "eval"));
  }
  // the minimums the teacher's suite keeps: recall of >= 8 pairs with >= 2 queries, sorting >= 10 items, addition of >= 5 digits
  const o = (name: string) => task(name).options as Record<string, number>;
  assert.ok(o("recall").pairs >= 8 && o("recall").queries >= 2 && o("sort").items >= 10 && o("add").digits >= 5);
});

test("held-out examples are never among the training examples", () => {
  for (const t of suite()) {
    const held = new Set(t.examples(200).map(key));
    assert.equal(held.size, 200, `${t.name}: 200 distinct held-out examples`);
    for (let i = 0; i < 5000; i++) assert.ok(!held.has(key(t.example(i, "train"))), `${t.name}: train example ${i} is held out`);
  }
});

test("recall: pairs among filler, each query given and followed by its key's value", () => {
  const t = task("recall");
  const { pairs, queries, length } = t.options as { pairs: number; queries: number; length: number };
  const places = new Set<number>();
  for (let i = 0; i < 50; i++) {
    const e = t.example(i);
    assert.equal(e.prompt.length + e.answer.length, length);
    const hay = dec(e.prompt).slice(2, -1);
    const bound = new Map<string, string>();
    hay.forEach((w, k) => {
      if (LETTERS.includes(w)) {
        assert.ok(!bound.has(w), "each key once");
        assert.ok(DIGITS.includes(hay[k + 1]), "a key is followed by its value");
        bound.set(w, hay[k + 1]);
        places.add(k);
      } else if (!DIGITS.includes(w)) assert.ok(LM_WORDS.includes(w), `filler is words: ${w}`);
    });
    assert.equal(bound.size, pairs);
    assert.equal(hay.filter((w) => DIGITS.includes(w)).length, pairs, "no digit outside a pair");
    const ans = dec(e.answer);
    assert.deepEqual(e.given, [...Array.from({ length: queries }, () => [true, false]).flat(), false]);
    const asked = ans.filter((_, j) => j % 2 === 0 && j < 2 * queries);
    assert.equal(new Set(asked).size, queries, "distinct queries");
    for (let q = 0; q < queries; q++) assert.equal(ans[2 * q + 1], bound.get(ans[2 * q]));
  }
  assert.ok(places.size > 30, "the pairs sit anywhere in the haystack");
  // every example of a range draws its own length; the sweep's task fixes it
  const lens = new Set(
    task("recall", { length: 40, maxLength: 80 })
      .examples(50)
      .map((e) => e.prompt.length + e.answer.length),
  );
  assert.ok(lens.size > 10 && Math.min(...lens) >= 40 && Math.max(...lens) <= 80);
  assert.equal(recallMinLength(8, 4), 2 + 16 + 1 + 8 + 1);
  assert.throws(() => task("recall", { length: 27 }), /recall: length = 27: expected an integer in \[28, 100000\]/);
});

test("exampleRow puts no loss on given tokens", () => {
  const e = task("recall").example(0);
  const { labels } = exampleRow(e, 70);
  const answer = labels.slice(e.prompt.length, e.prompt.length + e.answer.length);
  assert.deepEqual(
    answer,
    e.answer.map((a, j) => (e.given![j] ? -100 : a)),
  );
  assert.ok(labels.slice(0, e.prompt.length).every((x) => x === -100));
  assert.ok(labels.slice(e.prompt.length + e.answer.length).every((x) => x === -100));
});

test("answers are right: copy, sort, add, count, brackets", () => {
  for (let i = 0; i < 30; i++) {
    const c = task("copy").example(i);
    assert.deepEqual(c.answer.slice(0, -1), c.prompt.slice(2, -1));
    assert.equal(new Set(c.prompt.slice(2, -1)).size, c.prompt.length - 3, "copy: distinct tokens");

    const s = task("sort").example(i);
    const items = s.prompt.slice(2, -1);
    assert.deepEqual(
      s.answer.slice(0, -1),
      [...items].sort((x, y) => x - y),
    );
    assert.equal(new Set(items).size, items.length, "sort: distinct");
    assert.notDeepEqual(items, s.answer.slice(0, -1), "sort: the prompt is not already sorted");

    // sort with filler: the same items in the same order among filler words, which are not sorted
    const f = task("sort", { items: 12, filler: 40 }).example(i);
    assert.equal(f.prompt.length, 12 + 40 + 3);
    const shown = f.prompt.slice(2, -1);
    const sortable = new Set(SORT_SYMBOLS.map(id));
    const own = shown.filter((t) => sortable.has(t));
    assert.equal(own.length, 12, "sort: filler words share no token with the items");
    assert.deepEqual(
      f.answer.slice(0, -1),
      [...own].sort((x, y) => x - y),
    );

    // add: the digits read least significant first are the numbers; their sum is the answer
    const ad = dec(task("add").example(i).prompt);
    const plus = ad.indexOf("+");
    const num = (ds: string[]) => BigInt(ds.slice().reverse().join(""));
    const A = ad.slice(2, plus),
      B = ad.slice(plus + 1, -1);
    assert.equal(A.length, 20);
    const sum = dec(task("add").example(i).answer).slice(0, -1);
    assert.equal(sum.length, 21);
    assert.equal(num(sum), num(A) + num(B));
    const msd = task("add", { digits: 5, reversed: false }).example(i);
    const m = dec(msd.prompt);
    assert.equal(BigInt(dec(msd.answer).slice(0, -1).join("")), BigInt(m.slice(2, 7).join("")) + BigInt(m.slice(8, 13).join("")));

    const ce = task("count").example(i);
    const letters = dec(ce.prompt).slice(2, -1);
    const ca = dec(ce.answer);
    assert.equal(letters.filter((w) => w.length === 1).length, 20, "count: 20 letters among the filler");
    for (let q = 0; q + 1 < ca.length; q += 2) {
      assert.ok(ce.given![q] && !ce.given![q + 1]);
      assert.equal(Number(ca[q + 1]), letters.filter((w) => w === ca[q]).length, `count of ${ca[q]}`);
    }

    const be = task("brackets").example(i);
    const beWords = dec(be.prompt).slice(2, -1);
    const idx = beWords.filter((w) => "()[]{}<>".includes(w)).map((w) => "()[]{}<>".indexOf(w));
    assert.equal(idx.length, 24, "brackets: 24 brackets among the filler");
    assert.ok(
      beWords.filter((w) => !"()[]{}<>".includes(w)).every((w) => LM_WORDS.includes(w)),
      "brackets: the rest is filler words",
    );
    const close = dec(be.answer)
      .slice(0, -1)
      .map((w) => "()[]{}<>".indexOf(w));
    assert.ok(close.length >= 1 && close.every((b) => b % 2 === 1), dec(be.answer).join(" "));
    assert.deepEqual(closers([...idx, ...close]), [], "prefix + answer is balanced");
  }
  assert.deepEqual(addDigits([9, 9], [1, 0]), [0, 0, 1]);
  // ( [ ] ( [  ->  ] ) )
  assert.deepEqual(closers([0, 2, 3, 0, 2]), [3, 1, 1]);
  assert.equal(closers([0, 3]), null);
});

test("counts are spread over 0 .. max, so no count is a safe guess", () => {
  const seen = new Map<string, number>();
  for (const e of task("count").examples(200)) {
    const ca = dec(e.answer);
    for (let q = 1; q < ca.length - 1; q += 2) seen.set(ca[q], (seen.get(ca[q]) ?? 0) + 1);
  }
  assert.equal(seen.size, (task("count").options as { max: number }).max + 1);
  assert.ok(Math.max(...seen.values()) < 0.25 * [...seen.values()].reduce((a, b) => a + b), "no count dominates");
});

test("easy variants are named options; bad options name field, value and range", () => {
  const easy = task("recall", { pairs: 2, queries: 2, length: 12 });
  assert.equal(easy.example(0).prompt.length + easy.example(0).answer.length, 12);
  assert.throws(() => task("recall", { pairs: 40 }), /recall: pairs = 40: expected an integer in \[1, 26\]/);
  assert.throws(() => task("sort", { item: 3 } as never), /no option "item"/);
  assert.throws(() => task("sort", { items: 37 }), /sort: items = 37: expected an integer in \[1, 36\]/);
  assert.throws(() => task("add", { digits: 0 }), /add: digits = 0/);
  assert.throws(() => task("add", { reversed: "yes" } as never), /add: reversed = "yes": expected true or false/);
  assert.throws(() => task("copy", { length: 10, maxLength: 5 }), /copy: maxLength = 5/);
  assert.throws(() => suite(["copy", "nope"]), /no task "nope"/);
});

test("batches put the loss on answer tokens only, padded to the batch's longest row", () => {
  const t = task("copy", { length: 5, maxLength: 0 });
  const b = t.batches({ batchSize: 3, seqLen: 16 })(2);
  assert.equal(b.ids.length, 3);
  b.ids.forEach((r, i) => {
    assert.equal(r.length, 16);
    const lab = b.labels![i];
    const e = t.example(6 + i, "train");
    assert.deepEqual(
      lab.filter((x) => x !== -100),
      e.answer,
    );
    assert.equal(lab.indexOf(e.answer[0]), e.prompt.length);
  });
  const s = suite(["copy", "sort"], { options: { copy: { length: 4, maxLength: 9 }, sort: { items: 4 } } });
  const sb = s.batches({ batchSize: 8 })(0);
  const longest = Math.max(...sb.labels!.map((r) => r.length - [...r].reverse().findIndex((x) => x !== -100)));
  assert.ok(sb.ids.every((r) => r.length === longest));
  assert.deepEqual(sb, s.batches({ batchSize: 8 })(0));
});

test("suite weights set each task's share of the rows", () => {
  const s = suite(["copy", "sort"], { options: { copy: { length: 4, maxLength: 0 }, sort: { items: 4 } } });
  let copies = 0;
  const stream = s.batches({ batchSize: 10, weights: { copy: 3 } });
  for (let i = 0; i < 40; i++) copies += stream(i).ids.filter((r) => r[1] === id("copy")).length;
  assert.ok(copies > 260 && copies < 340, `${copies} of 400 rows are copy (expected ~300)`);
  assert.ok(stream(0).ids.length === 10);
  assert.ok(
    s
      .batches({ batchSize: 10, weights: { sort: 0 } })(0)
      .ids.every((r) => r[1] === id("copy")),
  );
  assert.throws(() => s.batches({ weights: { recall: 1 } }), /a weight for "recall", which is not in the suite/);
  assert.throws(() => s.batches({ weights: { copy: -1 } }), /weights.copy = -1: expected a number >= 0/);
  assert.throws(() => s.batches({ weights: { copy: 0, sort: 0 } }), /every task has weight 0/);
});

test("filler keeps a task's tokens in order and adds only words of the small language", () => {
  const rng = rngFor(3, "filler");
  const own = ["(", "a", "[", "7", "]"];
  const out = withFiller(rng, own, 9);
  assert.equal(out.length, 14);
  assert.deepEqual(
    out.filter((w) => !LM_WORDS.includes(w)),
    own,
  );
  assert.deepEqual(withFiller(rng, own, 0), own);
});
