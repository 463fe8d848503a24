// The teacher sweep's data (run.sh): `eval '{}' DIR` writes the default suite's held-out rows and
// recall at 64-256 tokens (200 each) as eval.i8 [2, sets * n, T] + eval.json; `train SPEC DIR` writes
// one variant's batches, phase by phase from spec.fromPhase, as bench/teacher.ts writes them
// (train.i8, widths.i32) and plan.json (the Hugging Face config, the phases, init and grow).
// SPEC: {name, recipe?: fields merged into TEACHER_RECIPE, extraPhases?: phases appended to its own,
// fromPhase, init?: a checkpoint folder to start from, grow?: "top:4" | "mid:4"}.
import { writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { phaseBatches } from "../../dist/sdk/teacher/batches.js";
import { phaseAt, TEACHER_RECIPE } from "../../dist/sdk/teacher/recipe.js";
import { suite } from "../../dist/sdk/tasks/suite.js";
import { rowsOf } from "../../dist/sdk/tasks/task.js";
import { needleAt } from "../../dist/sdk/eval/needle.js";
import { toHfConfig } from "../../dist/sdk/io/hf-config.js";
import { config } from "../../dist/sdk/models/config.js";

const [mode, specJson, dir] = process.argv.slice(2);
mkdirSync(dir, { recursive: true });
if (mode === "eval") {
  const n = 200,
    lens = [64, 128, 192, 256];
  const s = suite(TEACHER_RECIPE.tasks, { n });
  const names = [...s.names, ...lens.map((L) => `recall@${L}`)];
  const tasks = [...s.tasks, ...lens.map((L) => needleAt(L, { n }))];
  const batches = tasks.map((t) => rowsOf(t.examples(n)));
  const T = Math.max(...batches.map((b) => b.ids[0].length));
  const pad = (rows, fill) => rows.map((row) => [...row, ...Array(T - row.length).fill(fill)]);
  const ids = batches.flatMap((b) => pad(b.ids, 0).flat());
  const labels = batches.flatMap((b) => pad(b.labels, -100).flat());
  writeFileSync(join(dir, "eval.i8"), Int8Array.from([...ids, ...labels]));
  writeFileSync(join(dir, "eval.json"), JSON.stringify({ T, n, names }));
} else {
  const spec = JSON.parse(specJson);
  const r = { ...TEACHER_RECIPE, ...spec.recipe, model: { ...TEACHER_RECIPE.model, ...spec.recipe?.model } };
  if (spec.extraPhases) r.phases = [...TEACHER_RECIPE.phases, ...spec.extraPhases];
  const nPhases = 1 + (r.phases?.length ?? 0);
  const phases = [];
  const widths = [];
  const chunks = [];
  for (let k = spec.fromPhase ?? 0; k < nPhases; k++) {
    const ph = phaseAt(r, k);
    phases.push({ lr: ph.lr, warmup: ph.warmup, steps: ph.steps, schedule: ph.schedule, firstStep: ph.firstStep });
    const s = phaseBatches(r, k);
    for (let i = 0; i < ph.steps; i++) {
      const b = s(i);
      widths.push(b.ids[0].length);
      chunks.push(Buffer.from(Int8Array.from([...b.ids.flat(), ...b.labels.flat()]).buffer));
    }
  }
  writeFileSync(join(dir, "widths.i32"), Int32Array.from(widths));
  writeFileSync(join(dir, "train.i8"), Buffer.concat(chunks));
  const hf = toHfConfig(config(r.model));
  writeFileSync(
    join(dir, "plan.json"),
    JSON.stringify({
      name: spec.name,
      hf,
      B: r.batchSize,
      seed: r.seed,
      weightDecay: r.weightDecay,
      phases,
      init: spec.init ?? null,
      grow: spec.grow ?? null,
    }),
  );
}
