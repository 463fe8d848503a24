import { test } from "node:test";
import assert from "node:assert/strict";
import { suite, task } from "../../../sdk/tasks/suite.js";
import { TASK_NAMES } from "../../../sdk/tasks/registry.js";
import { TOKENS, VOCAB_SIZE, tokenizer, id } from "../../../sdk/tasks/vocab.js";
import { closers } from "../../../sdk/tasks/brackets.js";

const dec = (ids: number[]) => tokenizer.decode(ids).split(" ");

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
    }
    const e0 = t.examples(5);
    assert.deepEqual(e0, b.task(t.name).examples(5));
    assert.notDeepEqual(e0, c.task(t.name).examples(5));
    assert.notDeepEqual(t.example(0, "train"), t.example(0, "eval"));
  }
  assert.ok((task("recall").options as { pairs: number }).pairs >= 8 && (task("sort").options as { items: number }).items >= 10);
});

test("answers are right: recall, sort, add, count, brackets, copy", () => {
  for (let i = 0; i < 30; i++) {
    const r = dec(task("recall").example(i).prompt.concat(task("recall").example(i).answer));
    const q = r.indexOf("?");
    const map = new Map<string, string>();
    for (let k = 2; k < q; k += 4) map.set(r[k], r[k + 2]);
    const keys = r.slice(q + 1, r.indexOf("="));
    assert.deepEqual(
      r.slice(r.indexOf("=") + 1, -1),
      keys.map((k) => map.get(k)),
    );

    const s = task("sort").example(i);
    assert.deepEqual(
      s.answer.slice(0, -1),
      s.prompt.slice(2, -1).sort((x, y) => x - y),
    );
    const c = task("copy", { length: 7 }).example(i);
    assert.deepEqual(c.answer.slice(0, -1), c.prompt.slice(2, -1));

    const ad = dec(task("add", { modulus: 7 }).example(i).prompt);
    const plus = ad.indexOf("+");
    const A = ad.slice(2, plus).map(Number),
      B = ad.slice(plus + 1, -1).map(Number);
    assert.deepEqual(
      dec(task("add", { modulus: 7 }).example(i).answer)
        .slice(0, -1)
        .map(Number),
      A.map((x, j) => (x + B[j]) % 7),
    );

    const ce = task("count").example(i);
    const cw = dec(ce.prompt);
    const n = cw.slice(2, -3).filter((w) => w === cw.at(-2)).length;
    assert.equal(Number(dec(ce.answer).slice(0, 2).join("")), n);

    const be = task("brackets").example(i);
    const idx = dec(be.prompt)
      .slice(2, -1)
      .map((w) => "()[]{}<>".indexOf(w));
    const close = dec(be.answer)
      .slice(0, -1)
      .map((w) => "()[]{}<>".indexOf(w));
    assert.ok(close.length >= 1 && close.length <= 8 && close.every((b) => b % 2 === 1), dec(be.answer).join(" "));
    assert.deepEqual(closers([...idx, ...close]), [], "prefix + answer is balanced");
  }
  // ( [ ] ( [  ->  ] ) )
  assert.deepEqual(closers([0, 2, 3, 0, 2]), [3, 1, 1]);
  assert.equal(closers([0, 3]), null);
});

test("easy variants are named options; bad options name field, value and range", () => {
  const easy = task("recall", { pairs: 4 });
  assert.equal(easy.example(0).prompt.length, 2 + 16 + 4);
  assert.throws(() => task("recall", { pairs: 40 }), /recall: pairs = 40: expected an integer in \[1, 26\]/);
  assert.throws(() => task("sort", { item: 3 } as never), /no option "item"/);
  assert.throws(() => task("add", { modulus: 11 }), /modulus = 11/);
  assert.throws(() => suite(["copy", "nope"]), /no task "nope"/);
});

test("batches put the loss on answer tokens only", () => {
  const t = task("copy", { length: 5 });
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
  const s = suite(["copy", "sort"], { options: { copy: { length: 4 }, sort: { items: 4 } } });
  const sb = s.batches({ batchSize: 8 })(0);
  assert.ok(sb.ids.every((r) => r.length === s.seqLen));
  assert.deepEqual(sb, s.batches({ batchSize: 8 })(0));
});
