import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { create } from "../../../sdk/models/create.js";
import { fit } from "../../../sdk/train/fit.js";
import { suite } from "../../../sdk/tasks/suite.js";
import { forcedMatches, generatedMatches } from "../../../sdk/tasks/task.js";
import { VOCAB_SIZE } from "../../../sdk/tasks/vocab.js";
import { useCpu } from "../train/helpers.js";

before(useCpu);

test("a short run learns the facts task; forced scoring agrees with greedy generation; scores display as a table", async () => {
  const s = suite(["lm", "copy"], { seed: 0, n: 24, options: { lm: { context: 0 }, copy: { length: 3, maxLength: 0 } } });
  const model = create({ family: "llama", vocabSize: VOCAB_SIZE, dModel: 32, nLayers: 1, nHeads: 2, dFf: 64, maxSeq: 32 }, { seed: 0 });
  const n0 = tf.memory().numTensors;
  await fit(model, s.task("lm").batches({ batchSize: 16 }), { steps: 100, lr: 2e-2, warmup: 5, quiet: true });
  const score = await s.score(model);
  assert.equal(tf.memory().numTensors, n0);
  const lm = score.accuracy("lm")!;
  assert.ok(lm >= 0.3, `lm accuracy ${lm}`);
  for (const t of s) {
    const ex = t.examples(24);
    assert.deepEqual(await forcedMatches(model, ex, 10), await generatedMatches(model, ex, 10), t.name);
  }
  assert.deepEqual(
    score.rows.map((r) => [r.task, r.n]),
    [
      ["lm", 24],
      ["copy", 24],
    ],
  );
  const bundle = (score as unknown as Record<symbol, () => Record<string, string>>)[Symbol.for("Jupyter.display")]();
  assert.match(bundle["text/html"], /<table/);
  assert.match(bundle["text/markdown"], /\|task\|accuracy\|n\|/);
  assert.equal(score.table().numRows(), 2);
  model.dispose();
});
