import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { useCpu } from "../models/helpers.js";
import { attribute, debiasObjective } from "../../../sdk/diffprune/attribute.js";
import { mask } from "../../../sdk/diffprune/mask.js";
import type { Subnetwork } from "../../../sdk/diffprune/subnetwork.js";
import { tinyCore, tinyData } from "./helpers.js";

before(useCpu);

const data = tinyData();
const quick = { epochs: 1, fixEpochs: 1, quiet: true, lr: 1e-2 };

test("each attribute's adversary loss counts once in a merged subnetwork's objective", () => {
  const [task, g, a, l0] = [1.5, 0.7, 0.4, 0.01].map((x) => tf.scalar(x));
  const once = debiasObjective(task, [g, a], l0);
  assert.ok(Math.abs(once.dataSync()[0] - (1.5 + 0.7 + 0.4 + 0.01)) < 1e-6);
  // the reference's merged adversary added the running sum again per attribute: task + g + (g + a) + l0
  assert.ok(Math.abs(once.dataSync()[0] - (1.5 + 0.7 + (0.7 + 0.4) + 0.01)) > 0.5);
  const noL0 = debiasObjective(task, [g], null);
  assert.ok(Math.abs(noL0.dataSync()[0] - 2.2) < 1e-6);
  const before = tf.memory().numTensors;
  debiasObjective(task, [], null).dispose();
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([task, g, a, l0, once, noL0]);
});

test("par interleaves core steps: the core's weights move and a subnetwork trained before goes stale, naming both hashes", async () => {
  const core = await tinyCore(data, 2);
  await attribute(core, data, { attribute: "gender", ...quick });
  const hashBefore = core.weightsHash();
  const w = core.baseParameters().get("model.layers.0.self_attn.q_proj.weight")!.dataSync().slice();
  const age = (await attribute(core, data, { attribute: "age", regime: "par", ...quick })) as Subnetwork;
  assert.notDeepEqual(core.baseParameters().get("model.layers.0.self_attn.q_proj.weight")!.dataSync(), w, "the core trained");
  assert.equal(age.regime, "par");
  assert.equal(core.log!.series.get("par: core task")!.length, 2 * Math.ceil(data.train.length / 32));
  assert.throws(
    () => core.with(mask("gender")),
    (e: Error) =>
      e.message.includes(`"gender" was trained for the core's weights with hash ${hashBefore}`) &&
      e.message.includes(`now ${core.weightsHash()}`),
  );
  tf.dispose(core.with(mask("age")).represent(data.test.slice(0, 2)));
  core.dispose();
});

test("a list trains one subnetwork per attribute; merged trains one for all, with every adversary in its loss", async () => {
  const core = await tinyCore(data, 3);
  const each = (await attribute(core, data, { attribute: ["gender", "age"], ...quick })) as Subnetwork[];
  assert.deepEqual(
    each.map((s) => [s.name, s.attributes]),
    [
      ["gender", ["gender"]],
      ["age", ["age"]],
    ],
  );
  const merged = (await attribute(core, data, { attribute: ["gender", "age"], merged: true, ...quick })) as Subnetwork;
  assert.equal(merged.name, "gender+age");
  assert.deepEqual([...merged.log!.series.keys()].sort(), ["adversary age", "adversary gender", "l0", "loss", "task"]);
  const { series } = merged.log!;
  const i = 0;
  const sum = series.get("task")![i] + series.get("adversary gender")![i] + series.get("adversary age")![i] + series.get("l0")![i];
  assert.ok(Math.abs(series.get("loss")![i] - sum) < 1e-4, "the step's loss is task + each adversary once + L0");
  assert.deepEqual([...core.subnetworks.keys()], ["gender", "age", "gender+age"]);
  core.dispose();
});

test("a stopped run leaves no subnetwork, no switch entry and no tensor behind", async () => {
  const core = await tinyCore(data, 4);
  const tensors = tf.memory().numTensors;
  const ctrl = new AbortController();
  await assert.rejects(
    attribute(core, data, { attribute: "gender", ...quick, signal: ctrl.signal, onProgress: (e) => e.step === 1 && ctrl.abort() }),
    (e: Error) => e.name === "InterruptedError" && /diffprune.attribute: step 2 of 4: interrupted/.test(e.message),
  );
  assert.equal(core.subnetworks.size, 0);
  for (const sw of core.switchesByWeight.values()) assert.equal(sw.pieces.size, 0);
  assert.equal(tf.memory().numTensors, tensors);
  core.dispose();
});

test("bad input: names the field, the value and what it accepts", async () => {
  const core = await tinyCore(data, 5);
  const run = (o: object) => attribute(core, data, { attribute: "gender", quiet: true, ...o });
  await assert.rejects(run({ attribute: "race" }), /attribute = "race": expected one of gender, age/);
  await assert.rejects(run({ sparsity: 0 }), /sparsity = 0: expected a number in \(0, 1\]/);
  await assert.rejects(run({ regime: "pre" }), /regime = "pre": expected one of post, par/);
  await assert.rejects(run({ epochs: 0 }), /epochs = 0: expected an integer >= 1/);
  await assert.rejects(run({ params: /nothing/ }), /params matches no weight of the core/);
  await assert.rejects(
    run({ params: ["lm_head.weight"], ...quick }),
    /not read through sr.nn.parametrized by their modules.*lm_head.weight/,
  );
  await assert.rejects(attribute({} as never, data, { attribute: "gender" }), /core = \{\}: expected a Core/);
  await attribute(core, data, { attribute: "gender", ...quick });
  await assert.rejects(run({}), /already has a subnetwork "gender"/);
  core.dispose();
});
