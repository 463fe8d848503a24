// Scoring tasks whose answers interleave given queries with predicted tokens: teacher-forced and
// greedy verdicts agree, given tokens are fed but never scored, and recall sweeps over length.
// The model is an oracle that knows every example's continuation and errs where told to, so each
// verdict is known in advance.

import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { Model } from "../../../sdk/models/model.js";
import { task } from "../../../sdk/tasks/suite.js";
import { forcedMatches, generatedMatches } from "../../../sdk/tasks/task.js";
import { recallByLength } from "../../../sdk/eval/recall-by-length.js";
import { VOCAB_SIZE } from "../../../sdk/tasks/vocab.js";
import type { Example } from "../../../sdk/tasks/spec.js";
import { useCpu } from "../train/helpers.js";

before(useCpu);

/** A stand-in for a model: the next token after a prefix is the examples' own continuation, except
 *  after the prefixes in `wrong`, where it answers id 7 ("."). */
function oracle(examples: Example[], wrong = new Set<string>(), maxSeq = 512): Model {
  const next = new Map<string, number>();
  for (const e of examples) {
    const seq = [...e.prompt, ...e.answer];
    for (let t = e.prompt.length; t < seq.length; t++) next.set(seq.slice(0, t).join(","), seq[t]);
  }
  const predict = (prefix: number[]) => {
    const k = prefix.join(",");
    return wrong.has(k) ? 7 : (next.get(k) ?? 0);
  };
  return {
    config: { maxSeq },
    logits: (ids: number[][]) =>
      tf.tidy(() =>
        tf.oneHot(
          tf.tensor2d(
            ids.map((row) => row.map((_, t) => predict(row.slice(0, t + 1)))),
            undefined,
            "int32",
          ),
          VOCAB_SIZE,
        ),
      ),
    generate: async (prompts: number[][], o: { maxNewTokens: number }) =>
      prompts.map((p) => {
        const out: number[] = [];
        for (let k = 0; k < o.maxNewTokens; k++) out.push(predict([...p, ...out]));
        return out;
      }),
  } as unknown as Model;
}

for (const name of ["recall", "count"]) {
  test(`${name}: forced and greedy verdicts agree; an error on a given token's position is not scored`, async () => {
    const ex = task(name).examples(12);
    const wrong = new Set<string>();
    const expected = ex.map(() => true);
    ex.forEach((e, i) => {
      const predicted = e.answer.flatMap((_, j) => (e.given![j] ? [] : [j]));
      const givenAt = e.answer.findIndex((_, j) => e.given![j]);
      const at = (j: number) => [...e.prompt, ...e.answer.slice(0, j)].join(",");
      if (i % 3 === 1) {
        wrong.add(at(predicted[1])); // the second reply is wrong
        expected[i] = false;
      } else if (i % 3 === 2) wrong.add(at(givenAt)); // the model "predicts" a given query wrongly: no matter
    });
    const model = oracle(ex, wrong);
    assert.deepEqual(await forcedMatches(model, ex, 5), expected);
    assert.deepEqual(await generatedMatches(model, ex, 5), expected);
    assert.equal((await task(name).score(model, { n: 12, method: "generate" })).accuracy, 8 / 12);
  });
}

test("recallByLength asks the suite's recall task: one point per length, every example exactly that long", async () => {
  const lengths = [32, 48, 64];
  const ex = lengths.flatMap((L) => task("recall", { length: L }).examples(20));
  assert.ok(ex.every((e, i) => e.prompt.length + e.answer.length === lengths[Math.floor(i / 20)]));
  const m = Object.setPrototypeOf(oracle(ex), Model.prototype) as Model; // the oracle knows exactly these examples
  const curve = await recallByLength({ m }, lengths, { n: 20 });
  assert.deepEqual(
    curve.rows.map((r) => [r.length, r.accuracy, r.n]),
    lengths.map((L) => [L, 1, 20]),
  );
  assert.equal(curve.min, 1);
  assert.equal(curve.accuracy("m", 48), 1);
  const bundle = (curve as unknown as Record<symbol, () => Record<string, unknown>>)[Symbol.for("Jupyter.display")]();
  const spec = bundle["application/vnd.vegalite.v5+json"] as { mark: { type: string }; encoding: { x: { field: string } } };
  assert.equal(spec.mark.type, "line");
  assert.equal(spec.encoding.x.field, "length");
  assert.match(String(bundle["text/html"]), /<table/);
  assert.match(String(bundle["text/plain"]), /48[^\n]*100\.0%/);
});
