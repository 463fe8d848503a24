// Training benchmark: float32 matmul throughput, a batched matmul, training tokens/s, inference
// (a forward pass) and decoding of one small Llama (sr.models) in Stillroom's backend
// configurations, beside a PyTorch CPU reference of the same model (bench/train_reference.py) at
// 1 and at 2 torch threads, in one run. `npm run bench:train` builds and runs it.
//
// Model: llama, 4 layers, d=256, 4 heads (head 64), SwiGLU dFf=1024 (4.46M parameters), vocab 512,
// untied lm_head; batch 8 x 128 tokens. A step is what sr.train.fit runs: forward, causalLmLoss,
// backward (tf.variableGrads), sr.train.AdamW (lr 1e-3, no weight decay); torch.optim.Adam in Python.
//
// Every configuration runs in its own child process (backend choices are fixed when a backend
// starts), taking turns with the Python runs so that machine noise spreads over all of them.
// stdout: JSON lines, one per (config, metric); then ratio lines against PyTorch's faster setting.
// stderr: progress and Markdown tables.
//
// Configurations: default (what sr.backend.use() picks), blas:N (wasm + OpenBLAS, N BLAS threads),
// blas-unfused:N (the same without the fused kernels), wasm:N (wasm alone, N XNNPACK threads), cpu,
// tensorflow, webgpu.
// Options: --configs default,blas:1,wasm:1  --torch-threads 1,2  --steps 5 --warmup 2  --rounds 1
//          --cpu-steps 1  --python /usr/bin/python3  --no-python  --profile  --before
//          --child-timeout 900 (seconds for each configuration)
import type * as tfc from "@tensorflow/tfjs-core";
import { spawnSync } from "node:child_process";
import { cpus, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { findTorchPython, flag } from "./cli.js";

const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SELF = fileURLToPath(import.meta.url);

export const SIZES = { vocab: 512, dModel: 256, nLayers: 4, nHeads: 4, dFf: 1024, B: 8, T: 128, lr: 1e-3 } as const;
/** Decoding: one prompt of this many tokens, then this many new ones, greedy, with the cache. */
const DECODE = { prompt: 16, tokens: 48 } as const;

interface Row {
  impl: string;
  config: string;
  metric: string;
  value: number;
  unit: string;
  [extra: string]: unknown;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
const load = () => loadavg().map((x) => +x.toFixed(2));

/** Environment of a configuration's child process. */
function configEnv(config: string): Record<string, string> {
  const [name, n = "1"] = config.split(":");
  switch (name) {
    case "default":
      return {};
    case "blas":
      return { STILLROOM_BACKEND: "wasm", STILLROOM_BLAS: "auto", STILLROOM_BLAS_THREADS: n, STILLROOM_WASM_THREADS: "1" };
    case "blas-unfused": // the same without the fused kernels: what they bring
      return {
        STILLROOM_BACKEND: "wasm",
        STILLROOM_BLAS: "auto",
        STILLROOM_BLAS_THREADS: n,
        STILLROOM_WASM_THREADS: "1",
        STILLROOM_FUSED: "off",
      };
    case "wasm":
    case "wasm-stock":
      return { STILLROOM_BACKEND: "wasm", STILLROOM_BLAS: "off", STILLROOM_WASM_THREADS: n };
    case "cpu":
    case "tensorflow":
    case "webgpu":
      return { STILLROOM_BACKEND: name };
    default:
      throw new Error(`--configs: unknown configuration "${config}" (default, blas:N, blas-unfused:N, wasm:N, cpu, tensorflow, webgpu)`);
  }
}

// ---- one configuration, in a child process -------------------------------------------------

async function child(config: string, args: string[]): Promise<void> {
  const steps = Number(flag(args, "steps", "5"));
  const warmup = Number(flag(args, "warmup", "2"));
  const sr = await import("../sdk/index.js");
  const { tf } = sr;
  if (config.startsWith("wasm-stock")) (await import("../sdk/backend/wasm-kernels/index.js")).restoreStockBatchMatMul();
  const info = sr.backend.info();
  const emit = (metric: string, value: number, unit: string, extra: object = {}) =>
    console.log(
      JSON.stringify({
        impl: "stillroom",
        config,
        metric,
        value: +value.toPrecision(4),
        unit,
        backend: info.name,
        math: info.math,
        threads: info.threads,
        ...extra,
      }),
    );

  const slow = info.name === "cpu";
  // Waits for the result by reading one element of it: enough to synchronise an asynchronous
  // backend (webgpu), without timing a copy of the whole output to JavaScript, which PyTorch's
  // side does not make either. Reads are awaited: webgpu in Node has no synchronous read.
  const settle = async (y: tfc.Tensor) => {
    const one = tf.tidy(() => tf.slice(tf.reshape(y, [-1]), 0, 1)); // [1]
    await one.data();
    one.dispose();
  };
  const timeIt = async (f: () => tfc.Tensor, reps: number) => {
    for (let i = 0; i < (slow ? 1 : 2); i++) {
      const y = f();
      await settle(y);
      y.dispose();
    }
    const ms: number[] = [];
    for (let i = 0; i < reps; i++) {
      const t0 = performance.now();
      const y = f();
      await settle(y);
      ms.push(performance.now() - t0);
      y.dispose();
    }
    return median(ms);
  };
  {
    const a = tf.randomNormal([1024, 1024], 0, 1, "float32", 1),
      b = tf.randomNormal([1024, 1024], 0, 1, "float32", 2);
    const ms = await timeIt(() => tf.matMul(a, b), slow ? 1 : 10);
    emit("matmul_1024_gflops", (2 * 1024 ** 3) / (ms * 1e6), "GFLOP/s");
    const x = tf.randomNormal([8, 256, 64], 0, 1, "float32", 3),
      w = tf.randomNormal([8, 64, 256], 0, 1, "float32", 4);
    emit("bmm_8x256x64x256_ms", await timeIt(() => tf.matMul(x, w), slow ? 2 : 30), "ms");
    tf.dispose([a, b, x, w]);
  }

  const { vocab, dModel, nLayers, nHeads, dFf, B, T, lr } = SIZES;
  const cfg = sr.models.config({ family: "llama", vocabSize: vocab, dModel, nLayers, nHeads, dFf, maxSeq: T + DECODE.tokens });
  const model = sr.models.create(cfg, { seed: 0 });
  const params = model.parameters();
  const vars = [...params.values()];
  const nameOf = new Map([...params].map(([n, v]) => [v.name, n]));
  const nParams = vars.reduce((n, v) => n + v.size, 0);
  let s = 12345;
  const rand = () => {
    s = (s * 1103515245 + 12345) >>> 0;
    return (s >>> 8) % vocab;
  };
  const ids = Array.from({ length: B }, () => Array.from({ length: T }, rand)); // [B, T]
  const opt = new sr.train.AdamW();
  const hyper = () => ({ lr, weightDecay: 0 });
  const step = async () => {
    const { value, grads } = tf.variableGrads(() => sr.train.causalLmLoss(model.logits(ids), ids), vars);
    opt.apply(params, new Map(Object.entries(grads).map(([n, g]) => [nameOf.get(n)!, g])), hyper);
    tf.dispose(Object.values(grads));
    const v = (await value.data())[0]!;
    value.dispose();
    return v;
  };
  const n = slow ? Math.max(1, Number(flag(args, "cpu-steps", "1"))) : steps;
  const w = slow ? 0 : warmup; // the cpu backend: ~1 min a step; its first step is the timed one
  let first = NaN,
    last = NaN;
  for (let i = 0; i < w; i++) {
    last = await step();
    if (i === 0) first = last;
  }
  const ms: number[] = [];
  const cpuMs: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    last = await step();
    const c = process.cpuUsage(c0);
    ms.push(performance.now() - t0);
    cpuMs.push((c.user + c.system) / 1000);
    if (Number.isNaN(first)) first = last;
  }
  const stepMs = median(ms);
  emit("train_tokens_per_s", (B * T) / (stepMs / 1000), "tokens/s", {
    step_ms: +stepMs.toFixed(1),
    step_cpu_ms: +median(cpuMs).toFixed(1),
    steps: n,
    params: nParams,
    loss_first: +first.toFixed(4),
    loss_last: +last.toFixed(4),
  });

  const forwardMs = await timeIt(() => model.logits(ids), slow ? 1 : n);
  emit("forward_tokens_per_s", (B * T) / (forwardMs / 1000), "tokens/s", { forward_ms: +forwardMs.toFixed(1) });

  if (!slow) {
    const prompt = ids[0]!.slice(0, DECODE.prompt);
    const decode = () => model.generate(prompt, { maxNewTokens: DECODE.tokens, eosTokenId: null });
    await decode();
    const t0 = performance.now();
    await decode();
    const decodeMs = performance.now() - t0;
    emit("decode_tokens_per_s", DECODE.tokens / (decodeMs / 1000), "tokens/s", { prompt: DECODE.prompt, new_tokens: DECODE.tokens });
  }

  if (args.includes("--profile")) {
    const { profileKernels } = await import("./kernel-profile.js");
    const reps = 2;
    const prof = profileKernels(info.name);
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    for (let i = 0; i < reps; i++) await step();
    const c = process.cpuUsage(c0);
    const total = (performance.now() - t0) / reps;
    const totalCpu = (c.user + c.system) / 1000 / reps;
    prof.stop();
    const rows = [...prof.times]
      .map(([k, [t, cpu, calls]]) => [k, t / reps, cpu / reps, calls / reps] as const)
      .sort((a, b) => b[1] - a[1]);
    const inKernels = rows.reduce((a, r) => a + r[1], 0);
    const inKernelsCpu = rows.reduce((a, r) => a + r[2], 0);
    const outside = ["(outside kernels: engine, tape, JavaScript)", total - inKernels, totalCpu - inKernelsCpu, 0] as const;
    for (const [kernel, t, cpu, calls] of [...rows, outside]) {
      emit("step_profile_ms", t, "ms", {
        kernel,
        share: +(t / total).toFixed(4),
        cpu_ms: +cpu.toFixed(2),
        cpu_share: +(cpu / totalCpu).toFixed(4),
        calls_per_step: calls,
        step_ms: +total.toFixed(1),
        step_cpu_ms: +totalCpu.toFixed(1),
      });
    }
  }
  process.exit(0); // a WebGPU device would keep the process alive
}

// ---- the run: children in turns, then ratios ------------------------------------------------

function parseRows(stdout: string): Row[] {
  return stdout
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Row);
}

function runChild(config: string, args: string[]): Row[] {
  const r = spawnSync(process.execPath, [SELF, "--child", config, ...args], {
    encoding: "utf8",
    cwd: REPO_ROOT,
    timeout: Number(flag(process.argv, "child-timeout", "900")) * 1000,
    maxBuffer: 256 * 1024 ** 2, // a GPU driver may say a lot on stderr
    env: { ...process.env, ...configEnv(config) },
  });
  if (r.status !== 0) {
    process.stderr.write(`[bench:train] ${config} failed (${r.status ?? r.signal}): ${(r.stderr ?? "").slice(-600)}\n`);
    return [];
  }
  return parseRows(r.stdout);
}

function runPython(py: string, threads: number, steps: number, warmup: number): Row[] {
  const script = fileURLToPath(new URL("../../bench/train_reference.py", import.meta.url));
  const r = spawnSync(py, [script, "--steps", String(steps), "--warmup", String(warmup), "--threads", String(threads)], {
    encoding: "utf8",
    timeout: 300_000,
  });
  if (r.status !== 0) {
    process.stderr.write(`[bench:train] pytorch (${threads} threads) failed: ${(r.stderr ?? "").slice(-600)}\n`);
    return [];
  }
  return parseRows(r.stdout);
}

const HIGHER_IS_BETTER = (unit: string) => unit !== "ms";

/** The best value of each (impl, config, metric) over the rounds. */
function bestOf(rows: Row[]): Row[] {
  const best = new Map<string, Row>();
  for (const r of rows) {
    if (r.metric === "step_profile_ms") continue;
    delete r.round;
    const key = `${r.impl}|${r.config}|${r.metric}`;
    const b = best.get(key);
    const seen = ((b?.of_rounds as number | undefined) ?? 0) + 1;
    if (!b || (HIGHER_IS_BETTER(r.unit) ? r.value > b.value : r.value < b.value)) best.set(key, { ...r, of_rounds: seen });
    else b.of_rounds = seen;
  }
  return [...best.values()];
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes("--child")) return child(flag(args, "child", "default"), args);
  const steps = Number(flag(args, "steps", "5"));
  const warmup = Number(flag(args, "warmup", "2"));
  const rounds = Math.max(1, Number(flag(args, "rounds", "1")));

  const { loadBlas } = await import("../sdk/backend/blas/openblas.js");
  const hasBlas = loadBlas().blas !== null;
  const cores = Math.min(8, cpus().length);
  const defaults = hasBlas ? ["default", "blas:1", "wasm:1"] : ["default", ...(cores > 1 ? [`wasm:${cores}`] : [])];
  const configs = flag(args, "configs", defaults.join(",")).split(",").filter(Boolean);
  if (args.includes("--before")) configs.push("wasm-stock:1");
  for (const c of configs) configEnv(c); // unknown names fail before anything runs
  const torchThreads = flag(args, "torch-threads", "1,2").split(",").filter(Boolean).map(Number);
  const py = args.includes("--no-python") ? null : findTorchPython(flag(args, "python", ""));
  const passArgs = ["--steps", String(steps), "--warmup", String(warmup), "--cpu-steps", flag(args, "cpu-steps", "1")];
  if (args.includes("--profile")) passArgs.push("--profile");

  const rows: Row[] = [];
  const t0 = Date.now();
  const loadStart = load();
  if (!py) process.stderr.write("[bench:train] no python3 with torch: skipping the PyTorch reference\n");
  // turns: torch, stillroom, torch, stillroom, ... so that neither side gets the quiet spells
  const jobs: (() => Row[])[] = [];
  const torchJobs = py ? torchThreads.map((n) => () => runPython(py, n, steps, warmup)) : [];
  const ourJobs = configs.map((c) => () => runChild(c, passArgs));
  for (let i = 0; i < Math.max(torchJobs.length, ourJobs.length); i++) {
    if (torchJobs[i]) jobs.push(torchJobs[i]!);
    if (ourJobs[i]) jobs.push(ourJobs[i]!);
  }
  for (let round = 0; round < rounds; round++) {
    for (const job of jobs) {
      rows.push(...job().map((r) => ({ ...r, round: round + 1 })));
      process.stderr.write(`[bench:train] round ${round + 1}/${rounds}: ${rows.length} rows, load ${load().join(" ")}\n`);
    }
  }
  const loadEnd = load();
  const best = bestOf(rows);
  for (const r of best) console.log(JSON.stringify(r));
  // the profile of each configuration's last round
  const profile = rows.filter((x) => x.metric === "step_profile_ms" && x.round === rounds);
  for (const r of profile) console.log(JSON.stringify(r));

  // the reference: PyTorch's faster setting, per metric
  const torch = new Map<string, Row>();
  for (const r of best.filter((x) => x.impl === "pytorch")) {
    const b = torch.get(r.metric);
    if (!b || (HIGHER_IS_BETTER(r.unit) ? r.value > b.value : r.value < b.value)) torch.set(r.metric, r);
  }
  for (const r of best.filter((x) => x.impl === "stillroom")) {
    const p = torch.get(r.metric);
    if (!p) continue;
    // higher is better for GFLOP/s and tokens/s; for ms the ratio is pytorch_ms / stillroom_ms
    const ratio = HIGHER_IS_BETTER(r.unit) ? r.value / p.value : p.value / r.value;
    console.log(
      JSON.stringify({
        ratio: "stillroom/pytorch-best",
        config: r.config,
        metric: r.metric,
        value: +ratio.toPrecision(3),
        reference: p.config,
        note: "speed ratio against PyTorch's faster thread setting; >1 means Stillroom is faster",
      }),
    );
  }
  console.log(
    JSON.stringify({ load_start: loadStart, load_end: loadEnd, cores: cpus().length, seconds: Math.round((Date.now() - t0) / 1000) }),
  );

  const metrics = ["matmul_1024_gflops", "bmm_8x256x64x256_ms", "train_tokens_per_s", "forward_tokens_per_s", "decode_tokens_per_s"];
  const cols = [...new Set(best.map((r) => `${r.impl} ${r.config}`))];
  const cell = (col: string, m: string) => best.find((r) => `${r.impl} ${r.config}` === col && r.metric === m)?.value ?? "";
  const lines = [
    `| metric | ${cols.join(" | ")} |`,
    `|---|${cols.map(() => "---:").join("|")}|`,
    ...metrics.map((m) => `| ${m} | ${cols.map((c) => cell(c, m)).join(" | ")} |`),
  ];
  const trainRef = torch.get("train_tokens_per_s");
  if (trainRef) {
    const ratios = cols
      .filter((c) => c.startsWith("stillroom"))
      .map((c) => `${c.slice(10)} ${(Number(cell(c, "train_tokens_per_s")) / trainRef.value).toFixed(2)}x`);
    lines.push("", `training ratio to PyTorch's best (${trainRef.config}): ${ratios.join(", ")}`);
  }
  for (const config of configs) {
    const prof = profile.filter((r) => r.config === config);
    if (prof.length === 0) continue;
    const p0 = prof[0]!;
    lines.push(
      "",
      `step profile, ${config} (${p0.step_ms} ms a step, ${p0.step_cpu_ms} ms of CPU):`,
      "| kernel | ms/step | share | CPU ms/step | CPU share | calls/step |",
      "|---|---:|---:|---:|---:|---:|",
    );
    const pct = (x: unknown) => `${((x as number) * 100).toFixed(1)}%`;
    for (const r of [...prof.slice(0, 15), ...prof.slice(15).filter((x) => String(x.kernel).startsWith("("))]) {
      lines.push(`| ${r.kernel} | ${r.value} | ${pct(r.share)} | ${r.cpu_ms} | ${pct(r.cpu_share)} | ${r.calls_per_step} |`);
    }
  }
  process.stderr.write(
    `\n${lines.join("\n")}\n\n[bench:train] ${((Date.now() - t0) / 1000).toFixed(0)} s, load average ${loadStart.join(" ")} -> ${loadEnd.join(" ")}\n`,
  );
}

await main();
