// Teacher benchmark: the teacher recipe (sr.tasks.TEACHER_RECIPE) trained in Stillroom and, on the
// very same batches, in a PyTorch reference of the same Llama (tools/reference/families.py) with
// the same optimizer and schedule (bench/teacher_reference.py), side by side. Both score every
// task of the suite (teacher-forced exact match on the same eval examples) every --every steps;
// scoring time is left out of the training time. `npm run bench:teacher` builds and runs it.
//
// It answers two questions the teacher's goal raises: how far the recipe gets in its time, and
// whether a task that stays at chance does so because of the recipe (PyTorch stays there too) or
// because of Stillroom (it does not).
//
// stdout: JSON lines {impl, step, train_s, loss, acc: {task: exact match}, mean, min}, then one
// {ratio: "stillroom/pytorch", metric: "steps_per_s", value}. stderr: progress and a Markdown table.
//
// Options: --steps N (default: the recipe's) --every 500 --n 200 (eval examples per task)
//          --threads 1 (wasm and torch alike) --python /usr/bin/python3 --no-python
//          --only stillroom|pytorch  --recipe '{"lr":0.01,"model":{"dModel":128}}' (merged into the
//          recipe, model fields into its model)  --sequential (one after the other; default: both
//          at once, one core each)
import { spawn } from "node:child_process";
import { findTorchPython, flag } from "./cli.js";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import type { TeacherRecipe } from "../sdk/tasks/index.js";

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
}

// ---- the data both sides train on: batch i of the suite, and the eval rows -----------------

/** Writes ids/labels of `steps` batches and of the eval examples as little-endian int32 files. */
async function writeData(dir: string, r: TeacherRecipe, steps: number, n: number): Promise<{ T: number; B: number; tasks: string[] }> {
  const sr = await import("../sdk/index.js");
  const s = sr.tasks.suite(r.tasks, { seed: r.seed, options: r.options, n });
  const T = s.seqLen,
    B = r.batchSize;
  const stream = s.batches({ batchSize: B });
  const train = new Int32Array(steps * B * T * 2); // [steps, 2, B, T]
  for (let i = 0; i < steps; i++) {
    const b = stream(i);
    train.set(b.ids.flat(), 2 * i * B * T);
    train.set(b.labels!.flat(), (2 * i + 1) * B * T);
  }
  writeFileSync(join(dir, "train.i32"), train);
  const rows = s.tasks.flatMap((t) => t.examples(n).map((e) => sr.tasks.exampleRow(e, T)));
  writeFileSync(join(dir, "eval.i32"), new Int32Array([...rows.flatMap((x) => x.ids), ...rows.flatMap((x) => x.labels)])); // [2, tasks*n, T]
  const { toHfConfig } = await import("../sdk/io/hf-config.js");
  const hf = toHfConfig(sr.models.config(r.model));
  writeFileSync(join(dir, "recipe.json"), JSON.stringify({ ...r, hf, steps, T, B, n, names: s.names }));
  return { T, B, tasks: s.names };
}

// ---- the Stillroom side (a child process, so its backend and threads are its own) ----------

async function child(dir: string, steps: number, every: number, n: number, threads: string): Promise<void> {
  process.env.STILLROOM_BACKEND = "wasm";
  process.env.STILLROOM_WASM_THREADS = threads;
  const sr = await import("../sdk/index.js");
  const { tf } = sr;
  const r = JSON.parse(readFileSync(join(dir, "recipe.json"), "utf8")) as TeacherRecipe;
  const s = sr.tasks.suite(r.tasks, { seed: r.seed, options: r.options, n });
  const model = sr.models.create(r.model, { seed: r.seed });
  const evalSets = s.tasks.map((t) => t.examples(n));
  let scoringMs = 0;
  const score = (step: number, loss: number, elapsedMs: number) => {
    const t0 = performance.now();
    const acc: Record<string, number> = {};
    s.tasks.forEach((t, i) => {
      // teacher forcing as sr.tasks scores it, but synchronous: this runs inside fit's progress callback
      let hits = 0;
      for (let k = 0; k < n; k += 50) {
        const chunk = evalSets[i]!.slice(k, k + 50);
        const { ids, width } = sr.tasks.forcedInputs(chunk);
        const am = tf.tidy(() => tf.argMax(model.logits(ids), -1)); // [chunk, width]
        const pred = am.dataSync();
        am.dispose();
        hits += sr.tasks.forcedHits(chunk, pred, width).filter(Boolean).length;
      }
      acc[t.name] = hits / n;
    });
    const v = Object.values(acc);
    const p: Point = {
      impl: "stillroom",
      step,
      train_s: +((elapsedMs - scoringMs) / 1000).toFixed(2),
      loss: +loss.toFixed(4),
      acc,
      mean: v.reduce((a, b) => a + b, 0) / v.length,
      min: Math.min(...v),
    };
    console.log(JSON.stringify(p));
    scoringMs += performance.now() - t0;
  };
  await sr.train.fit(model, s.batches({ batchSize: r.batchSize }), {
    steps,
    lr: r.lr,
    warmup: Math.min(r.warmup, steps),
    schedule: r.schedule,
    weightDecay: r.weightDecay,
    seed: r.seed,
    quiet: true,
    onProgress: (e) => (e.step % every === 0 || e.step === steps) && score(e.step, e.loss, e.elapsedMs),
  });
}

// ---- the parent: data, both sides, the table -------------------------------------------------

function runSide(name: string, cmd: string, argv: string[]): Promise<Point[]> {
  return new Promise((resolve) => {
    const p = spawn(cmd, argv, { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] });
    const points: Point[] = [];
    let buf = "",
      err = "";
    p.stdout.on("data", (d: Buffer) => {
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
    p.stderr.on("data", (d: Buffer) => (err += d));
    p.on("close", (code) => {
      if (code !== 0) process.stderr.write(`[bench:teacher] ${name} failed (${code}): ${err.slice(-600)}\n`);
      resolve(points);
    });
  });
}

async function main(args: string[]): Promise<void> {
  if (args[0] === "--child") return child(args[1]!, +args[2]!, +args[3]!, +args[4]!, args[5]!);
  const { TEACHER_RECIPE } = await import("../sdk/tasks/index.js");
  const over = JSON.parse(flag(args, "recipe", "{}")) as Partial<TeacherRecipe>;
  const recipe: TeacherRecipe = { ...TEACHER_RECIPE, ...over, model: { ...TEACHER_RECIPE.model, ...over.model } };
  const steps = +flag(args, "steps", String(recipe.steps));
  const only = flag(args, "only", "");
  const every = +flag(args, "every", "500");
  const n = +flag(args, "n", "200");
  const threads = flag(args, "threads", "1");
  const dir = mkdtempSync(join(tmpdir(), "stillroom-teacher-"));
  try {
    const { tasks } = await writeData(dir, recipe, steps, n);
    const py = args.includes("--no-python") || only === "stillroom" ? null : findTorchPython(flag(args, "python", ""));
    if (!py && only !== "stillroom") process.stderr.write("[bench:teacher] no python3 with torch: Stillroom only\n");
    const sides: [string, string, string[]][] = [];
    if (only !== "pytorch")
      sides.push(["stillroom", process.execPath, [SELF, "--child", dir, String(steps), String(every), String(n), threads]]);
    if (py)
      sides.push(["pytorch", py, [join(REPO_ROOT, "bench/teacher_reference.py"), dir, "--every", String(every), "--threads", threads]]);
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
    process.stderr.write(`\n| impl | steps | train time | ${tasks.join(" | ")} | mean |\n|${"---|".repeat(tasks.length + 4)}\n`);
    for (const p of last)
      process.stderr.write(
        `| ${p.impl} | ${p.step} | ${p.train_s.toFixed(0)} s | ${tasks.map((t) => pct(p.acc[t] ?? 0)).join(" | ")} | ${pct(p.mean)} |\n`,
      );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main(process.argv.slice(2));
