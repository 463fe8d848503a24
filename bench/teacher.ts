// Teacher benchmark and trainer: the teacher recipe (sr.models.TEACHER_RECIPE) trained in
// Stillroom and, on the very same batches, in a PyTorch reference of the same Llama
// (tools/reference/families.py) with the same optimizer and schedule (bench/teacher_reference.py),
// side by side. Both score the default suite (teacher-forced exact match, the verdict of greedy
// decoding, on held-out examples) and recall at each context length of the sweep every --every
// steps; scoring time is left out of the training time. `npm run bench:teacher` builds and runs it;
// `npm run teacher:train` trains the committed checkpoint (Stillroom only, --save models/teacher).
//
// stdout: JSON lines {impl, step, train_s, loss, acc: {task or recall@L: exact match}, mean, min,
// load}, then one {ratio: "stillroom/pytorch", metric: "steps_per_s", value}. stderr: progress and
// a Markdown table.
//
// Options: --steps N (default: the recipe's) --every 500 --n 200 (held-out examples per task and
//          length) --lens 64,128,192,256 (recall sweep; default from 64 to the model's maxSeq)
//          --threads 1 (wasm and torch alike) --python /usr/bin/python3 --no-python
//          --only stillroom|pytorch  --recipe '{"lr":0.01,"model":{"dModel":128}}' (merged into the
//          recipe, model fields into its model)  --sequential (one after the other; default: both
//          at once, one core each)  --checkpoint DIR (resumable: a stopped run started again
//          continues from its last --every step; phase 1 writes DIR, phase k >= 2 DIR-phasek)
//          --save DIR (Stillroom's trained teacher, with recipe.json and its final scores)
import { spawn } from "node:child_process";
import { findTorchPython, flag } from "./cli.js";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import type { Batch } from "../sdk/train/data.js";
import type { Task } from "../sdk/tasks/task.js";
import type { TeacherRecipe } from "../sdk/teacher/recipe.js";

const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SELF = fileURLToPath(import.meta.url);

interface Point {
  impl: string;
  step: number;
  train_s: number;
  loss: number;
  acc: Record<string, number>;
  mean: number;
  min: number;
  load: number;
}

interface Plan {
  recipe: TeacherRecipe;
  steps: number;
  every: number;
  n: number;
  lens: number[];
  threads: string;
  save: string;
  /** fit's checkpoint folder: written every `every` steps, and a run started again resumes from it */
  checkpoint: string;
}

/** What is scored: the default suite's tasks, then recall at each length ("recall@256"). */
async function evalSets(p: Plan): Promise<{ names: string[]; tasks: Task[] }> {
  const sr = await import("../sdk/index.js");
  const s = sr.tasks.suite(p.recipe.tasks, { n: p.n });
  const sweep = p.lens.map((L) => sr.eval.needleAt(L, { n: p.n })); // the task sr.eval.recallByLength asks
  return { names: [...s.names, ...p.lens.map((L) => `recall@${L}`)], tasks: [...s.tasks, ...sweep] };
}

// ---- the data both sides train on: batch i of the recipe's mixture, and the eval rows --------

/** int8 files (ids < 128, labels -100 or ids): train.i8 is batch after batch [2, B, T_i] with
 *  T_i in widths.i32; eval.i8 is [2, rows, T] with the rows of each set in order. */
async function writeData(dir: string, p: Plan, withTrain: boolean): Promise<void> {
  const sr = await import("../sdk/index.js");
  const r = p.recipe;
  if (withTrain) {
    const { phaseBatches } = await import("../sdk/teacher/index.js");
    // stage by stage and phase by phase, as teacher() trains
    const steps = phaseSteps(p);
    const at = (i: number): Required<Batch> => {
      let k = 0;
      while (i >= steps[k]!) i -= steps[k++]!;
      return phaseBatches(r, k)(i) as Required<Batch>;
    };
    const widths = new Int32Array(steps.reduce((a, b) => a + b, 0));
    const chunks: Int8Array[] = [];
    for (let i = 0; i < widths.length; i++) {
      const b = at(i);
      widths[i] = b.ids[0].length;
      chunks.push(Int8Array.from([...b.ids.flat(), ...b.labels.flat()]));
    }
    writeFileSync(join(dir, "widths.i32"), widths);
    writeFileSync(join(dir, "train.i8"), Buffer.concat(chunks.map((c) => Buffer.from(c.buffer))));
  }
  const { names, tasks } = await evalSets(p);
  const batches = tasks.map((t) => sr.tasks.rowsOf(t.examples(p.n)) as Required<Batch>);
  const T = Math.max(...batches.map((b) => b.ids[0].length));
  const pad = (rows: number[][], fill: number) => rows.map((row) => [...row, ...Array<number>(T - row.length).fill(fill)]);
  const ids = batches.flatMap((b) => pad(b.ids, 0).flat());
  const labels = batches.flatMap((b) => pad(b.labels, -100).flat());
  writeFileSync(join(dir, "eval.i8"), Int8Array.from([...ids, ...labels]));
  const { toHfConfig } = await import("../sdk/io/hf-config.js");
  const hf = toHfConfig(sr.models.config(r.model));
  writeFileSync(join(dir, "plan.json"), JSON.stringify({ ...r, hf, steps: p.steps, B: r.batchSize, T, n: p.n, names }));
}

/** Steps of each phase: --steps replaces the first phase's. */
function phaseSteps(p: Plan): number[] {
  return [p.steps, ...(p.recipe.phases ?? []).map((q) => q.steps)];
}

// ---- the Stillroom side (a child process, so its backend and threads are its own) ----------

async function child(p: Plan): Promise<void> {
  process.env.STILLROOM_BACKEND = "wasm";
  process.env.STILLROOM_WASM_THREADS = p.threads;
  const sr = await import("../sdk/index.js");
  const { tf } = sr;
  const r = p.recipe;
  const model = sr.models.create(r.model, { seed: r.seed });
  const { names, tasks } = await evalSets(p);
  const sets = tasks.map((t) => sr.tasks.rowsOf(t.examples(p.n)) as Required<Batch>);
  let scoringMs = 0;
  let last: Point | undefined;
  const points: Point[] = [];
  const score = (step: number, loss: number, elapsedMs: number) => {
    const t0 = performance.now();
    const acc: Record<string, number> = {};
    sets.forEach((rows, i) => {
      // synchronous (this runs inside fit's progress callback), in chunks of 50 rows
      let hits = 0;
      for (let k = 0; k < p.n; k += 50) {
        const ids = rows.ids.slice(k, k + 50);
        const am = tf.tidy(() => tf.argMax(model.logits(ids), -1)); // [chunk, T]
        hits += sr.tasks.rowHits(rows.labels.slice(k, k + 50), am.dataSync()).filter(Boolean).length;
        am.dispose();
      }
      acc[names[i]!] = hits / p.n;
    });
    const v = Object.values(acc);
    last = {
      impl: "stillroom",
      step,
      train_s: +((elapsedMs - scoringMs) / 1000).toFixed(2),
      loss: +loss.toFixed(4),
      acc,
      mean: v.reduce((a, b) => a + b, 0) / v.length,
      min: Math.min(...v),
      load: +loadavg()[0]!.toFixed(2),
    };
    points.push(last);
    console.log(JSON.stringify(last));
    scoringMs += performance.now() - t0;
  };
  const { phaseAt, phaseBatches } = await import("../sdk/teacher/index.js");
  // phase by phase (a fresh AdamW each), steps and time counted across phases
  let before = 0,
    beforeMs = 0;
  for (let k = 0; k <= (r.phases?.length ?? 0); k++) {
    const sch = phaseAt(r, k);
    const steps = k === 0 ? p.steps : sch.steps;
    const dir = p.checkpoint && (k === 0 ? p.checkpoint : `${p.checkpoint}-phase${k + 1}`);
    const history = await sr.train.fit(model, phaseBatches(r, k), {
      steps,
      lr: sch.lr,
      warmup: Math.min(sch.warmup, steps),
      schedule: sch.schedule,
      weightDecay: r.weightDecay,
      seed: r.seed,
      quiet: true,
      ...(dir ? { checkpoint: { dir, every: p.every, keep: 1 } } : {}),
      onProgress: (e) => (e.step % p.every === 0 || e.step === steps) && score(before + e.step, e.loss, beforeMs + e.elapsedMs),
    });
    before += steps;
    beforeMs += history.elapsedMs;
  }
  if (p.save && last) {
    const { saveTeacher } = await import("../sdk/teacher/index.js");
    await saveTeacher(
      model,
      p.save,
      { ...r, steps: p.steps },
      {
        trainMs: Math.round(last.train_s * 1000),
        scores: last.acc,
        n: p.n,
        load: last.load,
        // the 1-minute load average at every scoring step: what else the machine was doing
        loads: Object.fromEntries(points.map((q) => [q.step, q.load])),
        cpus: cpus().length,
      },
    );
    process.stderr.write(`[bench:teacher] saved the teacher in ${p.save}\n`);
  }
}

// ---- the parent: data, both sides, the table -------------------------------------------------

/** The sides running now: a stopped bench stops them too (a trainer left behind holds a core for an hour). */
const running = new Set<ReturnType<typeof spawn>>();
let dataDir: string | null = null;
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const)
  process.on(sig, () => {
    for (const p of running) p.kill("SIGTERM");
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    process.exit(130);
  });

function runSide(name: string, cmd: string, argv: string[]): Promise<Point[]> {
  return new Promise((resolve) => {
    const proc = spawn(cmd, argv, { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] });
    running.add(proc);
    const points: Point[] = [];
    let buf = "",
      err = "";
    proc.stdout.on("data", (d: Buffer) => {
      buf += d;
      for (let i = buf.indexOf("\n"); i >= 0; i = buf.indexOf("\n")) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (!line.startsWith("{")) continue;
        const pt = JSON.parse(line) as Point;
        points.push(pt);
        console.log(line);
        process.stderr.write(
          `[bench:teacher] ${name} step ${pt.step} (${pt.train_s} s): mean ${(pt.mean * 100).toFixed(1)}%, min ${(pt.min * 100).toFixed(1)}%\n`,
        );
      }
    });
    proc.stderr.on("data", (d: Buffer) => {
      err += d;
      if (name === "stillroom") process.stderr.write(d);
    });
    proc.on("close", (code) => {
      running.delete(proc);
      if (code !== 0) process.stderr.write(`[bench:teacher] ${name} failed (${code}): ${err.slice(-600)}\n`);
      resolve(points);
    });
  });
}

async function main(args: string[]): Promise<void> {
  if (args[0] === "--child") return child(JSON.parse(readFileSync(args[1]!, "utf8")) as Plan);
  const { recipeWith } = await import("../sdk/teacher/index.js");
  const recipe = recipeWith(JSON.parse(flag(args, "recipe", "{}")) as Partial<TeacherRecipe>);
  const maxSeq = recipe.model.maxSeq ?? 256;
  const defaultLens = [64, 128, 192, 256, 384, 512].filter((L) => L <= maxSeq);
  const plan: Plan = {
    recipe,
    steps: +flag(args, "steps", String(recipe.steps)),
    every: +flag(args, "every", "500"),
    n: +flag(args, "n", "200"),
    lens: flag(args, "lens", defaultLens.join(",")).split(",").map(Number),
    threads: flag(args, "threads", "1"),
    save: flag(args, "save", ""),
    checkpoint: flag(args, "checkpoint", ""),
  };
  const only = flag(args, "only", "");
  const dir = mkdtempSync(join(tmpdir(), "stillroom-teacher-"));
  dataDir = dir;
  try {
    const py = args.includes("--no-python") || only === "stillroom" ? null : findTorchPython(flag(args, "python", ""));
    if (!py && only !== "stillroom") process.stderr.write("[bench:teacher] no python3 with torch: Stillroom only\n");
    await writeData(dir, plan, !!py);
    writeFileSync(join(dir, "child.json"), JSON.stringify(plan));
    const { names } = await evalSets(plan);
    const sides: [string, string, string[]][] = [];
    if (only !== "pytorch") sides.push(["stillroom", process.execPath, [SELF, "--child", join(dir, "child.json")]]);
    if (py)
      sides.push([
        "pytorch",
        py,
        [join(REPO_ROOT, "bench/teacher_reference.py"), dir, "--every", String(plan.every), "--threads", plan.threads],
      ]);
    const results = args.includes("--sequential")
      ? await sides.reduce(async (acc, s) => [...(await acc), await runSide(...s)], Promise.resolve([] as Point[][]))
      : await Promise.all(sides.map((s) => runSide(...s)));
    const last = results.map((r) => r.at(-1)).filter((p): p is Point => !!p);
    const speed = (p: Point) => p.step / p.train_s;
    if (last.length === 2)
      console.log(
        JSON.stringify({ ratio: "stillroom/pytorch", metric: "steps_per_s", value: +(speed(last[0]!) / speed(last[1]!)).toFixed(3) }),
      );
    const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
    process.stderr.write(`\n| impl | steps | train time | load | ${names.join(" | ")} | mean |\n|${"---|".repeat(names.length + 5)}\n`);
    for (const p of last)
      process.stderr.write(
        `| ${p.impl} | ${p.step} | ${p.train_s.toFixed(0)} s | ${p.load} | ${names.map((t) => pct(p.acc[t] ?? 0)).join(" | ")} | ${pct(p.mean)} |\n`,
      );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main(process.argv.slice(2));
