// The pipeline: verbs return new plans and leave theirs alone, a plan displays before it runs, a
// run draws one progress bar, awaiting runs it, stage I trains only the new parameters and stage II
// all of them, shared prefixes run once, the teacher is never changed, and a cancelled run stops
// and can be run again.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { student, StudentPipeline } from "../../../sdk/distill/index.js";
import { HybridAttention } from "../../../sdk/xlstm/index.js";
import { PROGRESS_HOOK } from "../../../sdk/train/progress.js";
import type { Batch } from "../../../sdk/train/data.js";
import { batches, maxDiff, snapshot, tempDir, tinyTeacher, useWasm } from "./helpers.js";

before(useWasm);

const g = globalThis as Record<symbol, unknown>;
/** Records the progress bars opened while installed: label, total, and every update. */
function recordBars() {
  const bars: { label: string; total: number; values: number[]; fields: Record<string, unknown>[] }[] = [];
  g[PROGRESS_HOOK] = (label: string, total: number) => {
    const bar = { label, total, values: [] as number[], fields: [] as Record<string, unknown>[] };
    bars.push(bar);
    return {
      update: (v: number, f: Record<string, unknown>) => {
        bar.values.push(v);
        bar.fields.push(f);
      },
      done() {},
    };
  };
  return bars;
}
after(() => {
  delete g[PROGRESS_HOOK];
});

test("verbs return new pipelines and leave theirs unchanged; the plan displays before anything runs", () => {
  const teacher = tinyTeacher();
  const p0 = student(teacher, { window: 6 });
  const p1 = p0.linearize();
  const p2 = p1.align({ data: batches(2), steps: 3 });
  assert.ok(p1 instanceof StudentPipeline && p2 instanceof StudentPipeline);
  assert.notEqual(p1, p2);
  assert.deepEqual(
    p0.steps.map((s) => s.kind),
    [],
  );
  assert.deepEqual(
    p1.steps.map((s) => s.kind),
    ["linearize"],
  );
  assert.deepEqual(
    p2.steps.map((s) => s.kind),
    ["linearize", "align"],
  );
  const bundle = (p2 as unknown as Record<symbol, () => Record<string, string>>)[Symbol.for("Jupyter.display")]!();
  assert.match(bundle["text/html"]!, /Distillation plan/);
  assert.match(bundle["text/markdown"]!, /\|1\|linearize\|/);
  assert.match(bundle["text/markdown"]!, /\|2\|align\|feature maps, gates\|2 batches of 4 x 20\|3\|/);
  assert.equal(String(p2), "StudentPipeline(linearize -> align 3)");
  teacher.dispose();
});

test("await runs the plan with one progress bar; stage I trains only the new parameters, stage II all; the teacher is unchanged", async (t) => {
  const teacher = tinyTeacher();
  const before = snapshot(teacher);
  const bars = recordBars();
  const aligned = student(teacher, { window: 6, sinks: 2 })
    .linearize()
    .align({ data: batches(3), steps: 4 });
  const linearized = await student(teacher, { window: 6, sinks: 2 }).linearize();
  const s1 = await aligned;
  assert.equal(bars.length, 2, "one bar per run (linearize alone, then the aligned plan)");
  assert.deepEqual(bars[1]!.values.at(-1), 4);
  assert.equal(bars[1]!.total, 4);
  assert.ok(
    bars[1]!.fields.some((f) => f.stage === "align" && typeof f.loss === "number"),
    "the stage and its loss beside the bar",
  );
  assert.ok(s1.module("model.layers.0.self_attn") instanceof HybridAttention);
  const lin = snapshot(linearized);
  const al = snapshot(s1);
  for (const [name, v] of al) {
    const changed = maxDiff(v, lin.get(name)!) > 0;
    const isNew = /self_attn\.(feature_map_[qk]|[ifo]gate)\./.test(name);
    assert.equal(changed, isNew, `${name} ${changed ? "changed" : "unchanged"} in stage I`);
  }
  const dir = await tempDir(t);
  const s2 = await aligned.distill({ data: batches(2, 4, 20, 24, 5), steps: 3, topK: 5, lr: 1e-2, cacheDir: dir });
  const di = snapshot(s2);
  const unchanged = [...di].filter(([n, v]) => maxDiff(v, al.get(n)!) === 0).map(([n]) => n);
  assert.deepEqual(unchanged, [], "stage II trains every parameter");
  assert.equal(bars.length, 3);
  assert.equal(bars[2]!.total, 6, "a distill stage of 3 steps: 3 for teacher targets, 3 for training");
  assert.ok(bars[2]!.values.includes(3) && bars[2]!.values.at(-1) === 6);
  for (const [n, v] of snapshot(teacher)) assert.equal(maxDiff(v, before.get(n)!), 0, `teacher ${n} unchanged`);
  tf.dispose([...[linearized, s1, s2].flatMap((m) => [...m.parameters().values()])]);
  teacher.dispose();
});

test("a shared prefix runs once: a generalist and merged experts both start from the stage-I result", async (t) => {
  const teacher = tinyTeacher();
  recordBars();
  let drawn = 0;
  const data = (i: number): Batch => {
    drawn++;
    return batches(1, 4, 20, 24, i)[0]!;
  };
  const aligned = student(teacher, { window: 6 }).linearize().align({ data, steps: 3 });
  const dir = await tempDir(t);
  const first = await aligned;
  assert.equal(drawn, 3);
  const again = await aligned;
  assert.equal(drawn, 3, "awaiting again does not retrain");
  assert.equal(
    maxDiff(snapshot(first).get("model.layers.0.self_attn.fgate.bias")!, snapshot(again).get("model.layers.0.self_attn.fgate.bias")!),
    0,
  );
  const merged = await aligned
    .experts({ a: batches(2, 4, 20, 24, 1), b: batches(2, 4, 20, 24, 2) }, { steps: 2, topK: 4, cacheDir: dir })
    .mergeExperts({ weights: { a: 0.5, b: 0.5 } });
  assert.equal(drawn, 3, "the experts start from the kept stage-I model");
  assert.ok(merged.module("model.layers.1.self_attn") instanceof HybridAttention);
  // the returned models are copies: changing one leaves the kept result alone
  const w = first.parameters().get("model.norm.weight")!;
  w.assign(tf.zerosLike(w));
  const third = await aligned;
  assert.ok(maxDiff(snapshot(third).get("model.norm.weight")!, new Float32Array(16)) > 0);
  teacher.dispose();
});

test("a run stops at the cancellation check and leaves the plan runnable", async () => {
  const teacher = tinyTeacher();
  recordBars();
  const ctl = new AbortController();
  const data = (i: number): Batch => {
    if (i === 1) ctl.abort(); // as an interrupt arriving during the second step
    return batches(1, 4, 20, 24, i)[0]!;
  };
  const p = student(teacher, { window: 6 }).linearize().align({ data, steps: 5 });
  const hook = Symbol.for("stillroom.cancel");
  g[hook] = () => ctl.signal;
  try {
    await assert.rejects(p.run(), (e: Error) => e.name === "InterruptedError" && /align: step 3 of 5: interrupted/.test(e.message));
  } finally {
    delete g[hook];
  }
  const s = await p.run();
  assert.ok(s.module("model.layers.0.self_attn") instanceof HybridAttention);
  teacher.dispose();
});
