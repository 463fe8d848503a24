import { test, before } from "node:test";
import assert from "node:assert/strict";
import { useCpu } from "../models/helpers.js";
import { bias } from "../../../sdk/eval/bias.js";
import { tradeoffChart } from "../../../sdk/eval/bias-chart.js";
import { accuracy, labelOnlyRate } from "../../../sdk/eval/metrics.js";
import { tinyCore, tinyData } from "../diffprune/helpers.js";
import { DISPLAY } from "../../../sdk/viz/mime.js";

before(useCpu);

test("eval.bias: task accuracy from the core's predictions, leakage and gaps per attribute, shown as a table", async () => {
  const data = tinyData(120, 2);
  const core = await tinyCore(data);
  const report = await bias(core, data, { attribute: ["gender", "age"], attacker: { epochs: 3, lr: 1e-2 }, name: "baseline", quiet: true });
  const pred = core.predict(data.test).map((l) => core.labels.indexOf(l));
  assert.equal(
    report.task.accuracy,
    accuracy(
      pred,
      data.test.map((e) => e.label),
    ),
  );
  assert.equal(report.task.n, data.test.length);
  assert.deepEqual(
    report.attributes.map((a) => a.attribute),
    ["gender", "age"],
  );
  for (const a of report.attributes) {
    assert.ok(a.leakage.accuracy >= 0 && a.leakage.accuracy <= 1);
    assert.equal(a.leakage.epochs, 3);
    assert.ok(a.tprGap >= 0 && a.tprRms >= a.tprGap - 1e-12, "RMS >= mean");
    const split = (xs: typeof data.test) => ({ labels: xs.map((e) => e.label), groups: xs.map((e) => e.attributes[a.attribute]) });
    assert.equal(a.labelOnly, labelOnlyRate(split(data.train), split(data.test)));
  }
  assert.equal(report.get("age").groups.length, 2);
  assert.throws(() => report.get("race"), /attribute = "race": expected one of gender, age/);
  const bundle = report[DISPLAY]() as Record<string, string>;
  assert.match(bundle["text/html"], /<table/);
  assert.match(
    bundle["text/markdown"],
    /\|model\|attribute\|task acc\|task bacc\|leakage\|leakage bacc\|majority rate\|label-only rate\|TPR-GAP\|TPR-RMS\|/,
  );
  assert.match(bundle["text/markdown"], /\|baseline\|gender\|\d+\.\d%\|/);
  const chart = tradeoffChart([report]);
  const layers = (chart.spec as { layer: { data: { values: unknown[] } }[] }).layer;
  assert.equal(layers[1].data.values.length, 2);
  assert.deepEqual(
    layers[0].data.values.map((v) => (v as { attribute: string }).attribute),
    ["gender", "age"],
  );
  assert.deepEqual(
    layers[2].data.values,
    report.attributes.map((a) => ({ attribute: a.attribute, "label-only": a.labelOnly })),
    "a rule per attribute at its label-only rate",
  );
  await assert.rejects(bias(core, data, { attribute: "race" }), /attribute = "race": expected one of gender, age/);
  await assert.rejects(bias({} as never, data, { attribute: "gender" }), /model = \{\}: expected a model with represent/);
  core.dispose();
});
