import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { useCpu } from "../models/helpers.js";
import { attribute } from "../../../sdk/diffprune/attribute.js";
import { Core } from "../../../sdk/diffprune/core.js";
import { mask } from "../../../sdk/diffprune/mask.js";
import type { Subnetwork } from "../../../sdk/diffprune/subnetwork.js";
import { bits, tensorsMadeBy, tinyCore, tinyData, tinyModelFor } from "./helpers.js";

before(useCpu);

const data = tinyData();
const quick = { epochs: 1, fixEpochs: 1, quiet: true, lr: 1e-2 };
const IDS = [
  [5, 9, 14, 3, 22, 2],
  [7, 7, 30, 12, 2, 0],
];

/** A model holding W + (combined diffs) outright, as the switch computes it. */
function copyWith(core: Core, names: string[], combine: "sum" | "mean"): Core {
  const ref = tinyModelFor(data, 99);
  ref.loadWeights(core.baseParameters());
  const subs = names.map((n) => core.subnetworks.get(n)!);
  for (const w of subs[0].diffs.keys()) {
    const value = tf.tidy(() => {
      const ds = subs.map((s) => s.diffs.get(w)!.forward());
      let sum = ds.length === 1 ? ds[0] : tf.addN(ds);
      if (combine === "mean" && ds.length > 1) sum = tf.div(sum, ds.length);
      return tf.add(core.baseParameters().get(w)!, sum);
    });
    ref.parameters().get(w)!.assign(value);
    value.dispose();
  }
  return new Core({
    model: ref,
    head: core.head,
    labels: core.labels,
    pooling: core.pooling,
    maxLength: core.maxLength,
    tokenizer: core.tokenizer,
    dropout: 0.3,
  });
}

test("on demand: mask([]) is the core bit for bit, a subnetwork is W + its diff, two combine by sum or mean, switching allocates nothing", async () => {
  const core = await tinyCore(data);
  const texts = data.test.slice(0, 5);
  const repBefore = bits(core.represent(texts));
  const logitsBefore = bits(core.logits(texts));
  const lmBefore = bits(core.model.logits(IDS));
  const weightsBefore = new Map([...core.baseParameters()].map(([n, v]) => [n, v.dataSync().slice()]));

  const gender = (await attribute(core, data, { attribute: "gender", ...quick })) as Subnetwork;
  const age = (await attribute(core, data, { attribute: "age", ...quick, seed: 3 })) as Subnetwork;
  assert.deepEqual([...core.subnetworks.keys()], ["gender", "age"]);
  for (const [n, v] of core.baseParameters()) assert.deepEqual(v.dataSync(), weightsBefore.get(n), `post regime: ${n} is untouched`);

  // none active: exactly the core as it was, through the view and without it
  const none = core.with(mask([]));
  assert.deepEqual(bits(none.represent(texts)), repBefore);
  assert.deepEqual(bits(none.logits(texts)), logitsBefore);
  assert.deepEqual(bits(core.represent(texts)), repBefore);
  assert.deepEqual(bits(core.logits(texts)), logitsBefore);
  assert.deepEqual(bits(none.run(() => core.model.logits(IDS))), lmBefore);
  assert.deepEqual(bits(core.model.logits(IDS)), lmBefore);

  // one subnetwork: the same as a model that stores W + diff
  const g = core.with(mask("gender"));
  const refG = copyWith(core, ["gender"], "sum");
  const repG = bits(g.represent(texts));
  assert.deepEqual(repG, bits(refG.represent(texts)));
  assert.notDeepEqual(repG, repBefore, "the subnetwork changes the representation");
  assert.deepEqual(bits(g.logits(texts)), bits(refG.logits(texts)));

  // two: sum and mean
  for (const combine of ["sum", "mean"] as const) {
    const both = core.with(mask(["gender", "age"]), { combine });
    const ref = copyWith(core, ["gender", "age"], combine);
    assert.deepEqual(bits(both.represent(texts)), bits(ref.represent(texts)), combine);
    ref.model.dispose();
  }
  assert.notDeepEqual(
    bits(core.with(mask(["gender", "age"]), { combine: "sum" }).represent(texts)),
    bits(core.with(mask(["gender", "age"]), { combine: "mean" }).represent(texts)),
  );

  // switching makes no tensor at all; a forward with none active makes no weight-sized one
  const memory = tf.memory();
  const vars = Object.keys(tf.engine().registeredVariables).length;
  const made = tensorsMadeBy(() => [
    core.with(mask("gender")),
    core.with(mask(["gender", "age"]), { combine: "mean" }),
    core.with(mask([])),
  ]);
  assert.deepEqual(made.shapes, [], "switching registers no tensor");
  const weightShapes = new Set([...core.baseParameters().values()].map((v) => v.shape.join("x")));
  const forwardNone = tensorsMadeBy(() => bits(none.represent(texts)));
  assert.deepEqual(
    forwardNone.shapes.filter((s) => weightShapes.has(s.join("x"))),
    [],
    "no weight-shaped tensor in a forward with mask([])",
  );
  const forwardG = tensorsMadeBy(() => bits(g.represent(texts)));
  assert.ok(
    forwardG.shapes.filter((s) => weightShapes.has(s.join("x"))).length >= weightShapes.size,
    "(the spy sees W + diff when a subnetwork is on)",
  );
  assert.equal(tf.memory().numTensors, memory.numTensors);
  assert.equal(tf.memory().numBytes, memory.numBytes);
  assert.equal(Object.keys(tf.engine().registeredVariables).length, vars);

  // the subnetworks' sparsity: exactly the fixed mask's share of the covered weights
  for (const s of [gender, age]) {
    assert.equal(s.covered, core.numParams() - core.baseParameters().get("lm_head.weight")!.size, "covers every weight under model.");
    assert.equal(s.changed, Math.round(0.1 * s.covered), `${s.name}: exactly 10% of the entries change`);
  }
  const union = core.changedShare(["gender", "age"]);
  assert.ok(union > 0.1 && union <= 0.2, `two 10% subnetworks change ${union} together`);
  assert.equal(core.changedShare(["gender"]), gender.share);
  assert.equal(core.changedShare([]), 0);
  assert.ok(core.model.parameters().has("model.layers.0.mlp.up_proj.parametrizations.weight.gender.delta"));
  refG.model.dispose();
  core.dispose();
});

test("an unknown subnetwork is an error listing the trained ones; a bad selection or combine is refused", async () => {
  const core = await tinyCore(data, 1);
  assert.throws(() => core.with(mask("gender")), /no subnetwork "gender"; the trained ones are: \(none yet/);
  await attribute(core, data, { attribute: "age", ...quick });
  assert.throws(() => core.with(mask(["age", "race"])), /no subnetwork "race"; the trained ones are: age/);
  assert.throws(() => core.with(mask("age"), { combine: "max" as never }), /combine = "max": expected one of sum, mean/);
  assert.throws(() => core.with(["age"] as never), /selection = \["age"\]: expected sr.diffprune.mask/);
  assert.throws(() => mask(["age", "age"]), /"age" is listed twice/);
  assert.throws(() => mask([3] as never), /names = \[3\]: expected a subnetwork name/);
  core.dispose();
});
