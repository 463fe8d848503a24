// Bad input to the pipeline, each refused when the verb is called with an error naming the problem:
// a teacher that is not a supported transformer, a window larger than the context, experts with no
// data, merge weights that are negative, do not sum to 1 or name other experts, and plans in an
// order that cannot run.

import { test, before } from "node:test";
import assert from "node:assert/strict";
import { student } from "../../../sdk/distill/index.js";
import { create, Model } from "../../../sdk/models/index.js";
import { MLSTM_HYBRID } from "../../../sdk/xlstm/index.js";
import { batches, TINY, tinyTeacher, useWasm } from "./helpers.js";

before(useWasm);

test("an unsupported teacher: not a model, a family the hybrid layer does not know, layers that are not softmax attention", () => {
  assert.throws(
    () => student({ config: { family: "llama" } } as unknown as Model),
    /sr\.distill\.student: teacher = \{"config":\{"family":"llama"\}\}: expected a model/,
  );
  const odd = Object.assign(Object.create(Model.prototype) as Model, { config: { family: "gpt2", layerTypes: [] } });
  assert.throws(() => student(odd), /teacher\.config\.family = "gpt2": expected a supported family \(llama, qwen2, olmo2\)/);
  const hybrid = create({ ...TINY, layerTypes: [MLSTM_HYBRID, MLSTM_HYBRID], layerSettings: { [MLSTM_HYBRID]: { window: 8 } } });
  assert.throws(() => student(hybrid), /teacher\.config\.layerTypes\[0\] = "mlstm_hybrid": expected "full_attention"/);
  hybrid.dispose();
});

test("a window larger than the teacher's context, and other bad student options", () => {
  const teacher = tinyTeacher();
  assert.throws(() => student(teacher, { window: 49 }), /window = 49: expected at most the teacher's context \(maxSeq = 48\)/);
  assert.throws(() => student(teacher), /window = 64: expected at most the teacher's context \(maxSeq = 48\)/, "the default window too");
  assert.throws(() => student(teacher, { window: 0 }), /window = 0: expected an integer >= 1/);
  assert.throws(() => student(teacher, { featureMap: "elu" as never }), /featureMap = "elu": expected one of "hedgehog", "lolcats"/);
  assert.throws(() => student(teacher, { windw: 4 } as never), /windw = 4: expected no such option/);
  teacher.dispose();
});

test("experts with no data, or none at all", () => {
  const p = student(tinyTeacher(), { window: 8 }).linearize();
  assert.throws(() => p.experts({ math: [], code: batches(1) }, { steps: 2 }), /\.experts: math = \[\]: expected data for expert "math"/);
  assert.throws(() => p.experts({ code: undefined as never }, { steps: 2 }), /code = undefined: expected data for expert "code"/);
  assert.throws(() => p.experts({}, { steps: 2 }), /at least one expert/);
  assert.throws(() => p.distill({ data: [], steps: 2 }), /\.distill: data = \[\]: expected a non-empty array of batches/);
  assert.throws(() => p.align({ data: batches(1), steps: 0 }), /\.align: steps = 0: expected an integer >= 1/);
  assert.throws(
    () => p.distill({ data: batches(1), steps: 2, tail: "drop" as never }),
    /tail = "drop": expected one of "bucket", "renormalize"/,
  );
});

test("merge weights: negative, not summing to 1, or naming other experts", () => {
  const p = student(tinyTeacher(), { window: 8 })
    .linearize()
    .experts({ math: batches(1), code: batches(1) }, { steps: 1 });
  assert.throws(() => p.mergeExperts({ weights: { math: 1.5, code: -0.5 } }), /weights\.code = -0\.5: expected a number >= 0/);
  assert.throws(
    () => p.mergeExperts({ weights: { math: 0.5, code: 0.4 } }),
    /weights = \{"math":0\.5,"code":0\.4\}: expected weights summing to 1 \(they sum to 0\.9\)/,
  );
  assert.throws(
    () => p.mergeExperts({ weights: { math: 0.5, chat: 0.5 } }),
    /one weight per expert \(math, code\): no weight for code; no expert chat/,
  );
  assert.throws(
    () => p.mergeExperts({ method: "median" as never }),
    /method = "median": expected one of "average", "task-arithmetic", "ties"/,
  );
  assert.doesNotThrow(() => p.mergeExperts({ weights: { math: 0.7, code: 0.3 }, method: "ties" }));
});

test("plans in an order that cannot run", async () => {
  const p = student(tinyTeacher(), { window: 8 });
  assert.throws(() => p.align({ data: batches(1), steps: 1 }), /\.align\(\): the plan has no student yet; start with \.linearize\(\)/);
  assert.throws(() => p.linearize().linearize(), /\.linearize\(\): the plan has built its student already/);
  assert.throws(() => p.linearize().mergeExperts(), /\.mergeExperts\(\): nothing to merge; it follows \.experts/);
  const open = p.linearize().experts({ a: batches(1) }, { steps: 1 });
  assert.throws(
    () => open.distill({ data: batches(1), steps: 1 }),
    /\.distill\(\): the experts are not merged; call \.mergeExperts\(\) first/,
  );
  await assert.rejects(open.run(), /run\(\): the experts are not merged; end the plan with \.mergeExperts\(\)/);
  await assert.rejects(p.run(), /run\(\): the plan is empty; start with \.linearize\(\)/);
});
