// compare scores every model on every task as sr.tasks scores them; the needle generator gives
// examples of exactly the asked length whose answer is the value bound to the asked key, with the
// same pairs at every length; recallByLength and decodeCost report per model and length (a KV
// cache that grows with the context, a hybrid state that does not); bad input is named.

import { test, before } from "node:test";
import assert from "node:assert/strict";
import { compare, decodeCost, needleAt, recallByLength } from "../../../sdk/eval/index.js";
import { linearize, STUDENT_DEFAULTS } from "../../../sdk/distill/index.js";
import { create, type Model } from "../../../sdk/models/index.js";
import { suite, tokenizer, VOCAB_SIZE } from "../../../sdk/tasks/index.js";
import { useWasm } from "../distill/helpers.js";

before(useWasm);

type Bundle = Record<string, unknown>;
/** What Stillroom's kernel shows of a report: its parts, each an output of its own. */
function parts(report: object): Bundle[] {
  return (report as Record<symbol, () => Bundle[]>)[Symbol.for("stillroom.displayParts")]!();
}
const VL = "application/vnd.vegalite.v5+json";

/** A table's output, then a chart's, neither carrying a type that would outrank the other's. */
function assertTableThenChart(report: object, tableText: RegExp): void {
  const [table, chart, ...rest] = parts(report);
  assert.equal(rest.length, 0);
  assert.match(String(table!["text/html"]), tableText);
  assert.match(String(table!["text/markdown"]), /\|/);
  assert.ok(!(VL in table!));
  assert.ok(VL in chart! && !("text/html" in chart!) && !("text/markdown" in chart!));
}

const CFG = { family: "llama" as const, vocabSize: VOCAB_SIZE, dModel: 16, nLayers: 2, nHeads: 4, nKvHeads: 2, dFf: 32, maxSeq: 96 };

test("compare: every model on every task, as the tasks score them; a table, and Win-and-Tie from it", async () => {
  const teacher = create(CFG, { seed: 1 });
  const other = create(CFG, { seed: 2 });
  const s = suite(["copy", "lm"], { n: 8, options: { copy: { length: 3 }, lm: { context: 0 } } });
  const c = await compare({ teacher, student: other }, s);
  assert.deepEqual(c.models, ["teacher", "student"]);
  assert.deepEqual(c.tasks, ["copy", "lm"]);
  for (const t of s) assert.equal(c.scores.teacher![t.name], (await t.score(teacher)).accuracy);
  assert.equal(c.table().numRows, 3, "a row per task and the mean");
  assert.deepEqual(c.winTie().tasks, ["copy", "lm"]);
  const bundle = (c as unknown as Record<symbol, () => Record<string, unknown>>)[Symbol.for("Jupyter.display")]!();
  assert.ok(bundle["application/vnd.vegalite.v5+json"] && bundle["text/html"]);
  assertTableThenChart(c, /<table[\s\S]*mean/);
  await assert.rejects(compare({}, s), /compare: models = \{\}: expected \{name: model, \.\.\.\} with at least one model/);
  await assert.rejects(compare({ teacher, x: {} as Model }, s), /models\.x = \{\}: expected a model/);
  await assert.rejects(compare({ teacher }, []), /tasks = \[\]: expected a suite or a non-empty list of tasks/);
  teacher.dispose();
  other.dispose();
});

test("the needle task: exactly `length` tokens, the answer bound to the asked key, the same pairs at every length", () => {
  const short = needleAt(30, { pairs: 3, queries: 2 });
  const long = needleAt(80, { pairs: 3, queries: 2 });
  for (let i = 0; i < 20; i++) {
    const a = short.example(i);
    const b = long.example(i);
    assert.equal(a.prompt.length + a.answer.length, 30);
    assert.equal(b.prompt.length + b.answer.length, 80);
    const text = tokenizer.decode(b.prompt);
    for (const q of [0, 2]) {
      const asked = tokenizer.decode([b.answer[q]!]);
      const value = new RegExp(` ${asked} (\\d) `).exec(text)![1];
      assert.equal(tokenizer.decode([b.answer[q + 1]!]), value, `example ${i}, query ${q / 2}: ${text}`);
    }
    assert.deepEqual(a.answer, b.answer, "same keys asked, same values");
  }
  assert.throws(() => needleAt(10, { pairs: 3, queries: 2 }).example(0), /tasks\.recall: length = 10: expected an integer in \[14,/);
});

test("recallByLength: a row per model and length; lengths outside the models' range are refused", async () => {
  const a = create(CFG, { seed: 1 });
  const r = await recallByLength({ a }, [24, 40], { n: 4, pairs: 4, queries: 1 });
  assert.deepEqual(
    r.rows.map((x) => [x.model, x.length, x.n]),
    [
      ["a", 24, 4],
      ["a", 40, 4],
    ],
  );
  assertTableThenChart(r, /<table[\s\S]*accuracy/);
  await assert.rejects(
    recallByLength({ a }, [97], { n: 4, pairs: 4, queries: 1 }),
    /lengths\[0\] = 97: expected an integer in \[14, 96\] \(4 pairs and 1 query need 14 tokens/,
  );
  await assert.rejects(
    recallByLength({ a }, [24], { n: 4 }),
    /lengths\[0\] = 24: expected an integer in \[28, 96\] \(8 pairs and 4 queries need 28 tokens/,
  );
  await assert.rejects(recallByLength({ a }, []), /lengths = \[\]: expected a non-empty array/);
  a.dispose();
});

test("decodeCost: the teacher's KV cache grows with the context, the hybrid student's state does not", async () => {
  const teacher = create(CFG, { seed: 1 });
  const s = linearize(teacher, { ...STUDENT_DEFAULTS, window: 6, featureDim: undefined });
  const cost = await decodeCost({ teacher, student: s }, { contexts: [20, 60], batch: 2, tokens: 3, rounds: 3, warmup: 1, chunk: 16 });
  // one cache per model grows through the contexts: 20, then 20 + 4 decoded tokens extended to 60
  assert.deepEqual(
    cost.rows.map((r) => [r.model, r.context]),
    [
      ["teacher", 20],
      ["teacher", 60],
      ["student", 20],
      ["student", 60],
    ],
  );
  const at = (m: string, c: number) => cost.rows.find((r) => r.model === m && r.context === c)!;
  const kvBytes = (S: number) => 2 * 2 * 2 * 2 * S * 4 * 4; // k and v, layers, B, Hkv, positions, D, float32
  assert.equal(at("teacher", 20).stateMB * 2 ** 20, kvBytes(24));
  assert.equal(at("teacher", 60).stateMB * 2 ** 20, kvBytes(64));
  const drift = Math.abs(at("student", 60).stateMB - at("student", 20).stateMB) * 2 ** 20;
  assert.ok(drift <= 2 * 2 * 2 * 2 * 6 * 4 * 4, `the student's state moves by at most a block of window positions (${drift} bytes)`);
  for (const r of cost.rows) assert.ok(r.msPerToken > 0 && r.tokensPerSecond > 0 && r.prefillTokensPerSecond > 0);
  assertTableThenChart(cost, /<table[\s\S]*stateMB/);
  await assert.rejects(
    decodeCost({ teacher }, { contexts: [95] }),
    /contexts = 95: expected integers in \[1, 78\] \(teacher's maxSeq 96 less the 18 tokens the sweep decodes\)/,
  );
  teacher.dispose();
  s.dispose();
});
