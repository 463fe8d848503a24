// Training benchmark: float32 matmul throughput, a batched matmul, and training tokens/s of one
// small Llama (sr.models) on each available tfjs backend, beside a PyTorch CPU reference of the
// same model (bench/train_reference.py), in one run. `npm run bench:train` builds and runs it.
//
// Model: llama, 4 layers, d=256, 4 heads (head 64), SwiGLU dFf=1024 (4.46M parameters, the
// design's "4.5M"), vocab 512, untied lm_head; batch 8 x 128 tokens; cross-entropy; forward +
// backward (tf.variableGrads) + Adam update (tf.train.adam, lr 1e-3; torch.optim.Adam in Python).
//
// Every backend configuration runs in its own child process (wasm's thread count is fixed when
// the backend starts), in turns with the Python reference, so machine noise spreads over all.
// stdout: JSON lines, one per (config, metric), then ratio lines stillroom/pytorch.
// stderr: progress and a Markdown table.
//
// Options: --configs wasm:1,wasm:2,cpu  --steps 5 --warmup 2  --cpu-steps 1  --python /usr/bin/python3
//          --no-python  --before (adds wasm-stock:1, the stock wasm BatchMatMul kernel)
import type * as tfc from "@tensorflow/tfjs-core";
import { spawnSync } from "node:child_process";
import { findTorchPython, flag } from "./cli.js";
import { cpus } from "node:os";
import { fileURLToPath } from "node:url";

const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SELF = fileURLToPath(import.meta.url);

export const SIZES = { vocab: 512, dModel: 256, nLayers: 4, nHeads: 4, dFf: 1024, B: 8, T: 128, lr: 1e-3 } as const;

interface Row {
  impl: string;
  config: string;
  metric: string;
  value: number;
  unit: string;
  [extra: string]: unknown;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

// ---- one configuration, in a child process -------------------------------------------------

async function child(config: string, steps: number, warmup: number): Promise<void> {
  const [name, threads = "1"] = config.split(":");
  const stock = name === "wasm-stock";
  process.env.STILLROOM_BACKEND = stock ? "wasm" : name;
  process.env.STILLROOM_WASM_THREADS = threads;
  const sr = await import("../sdk/index.js");
  const { tf } = sr;
  if (stock) (await import("../sdk/backend/wasm-kernels/index.js")).restoreStockBatchMatMul();
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
        threads: info.threads,
        ...extra,
      }),
    );

  const slow = info.name === "cpu";
  const timeIt = (f: () => tfc.Tensor, reps: number) => {
    for (let i = 0; i < (slow ? 1 : 2); i++) {
      const y = f();
      y.dataSync();
      y.dispose();
    }
    const ms: number[] = [];
    for (let i = 0; i < reps; i++) {
      const t0 = performance.now();
      const y = f();
      y.dataSync();
      ms.push(performance.now() - t0);
      y.dispose();
    }
    return median(ms);
  };
  {
    const a = tf.randomNormal([1024, 1024], 0, 1, "float32", 1),
      b = tf.randomNormal([1024, 1024], 0, 1, "float32", 2);
    const ms = timeIt(() => tf.matMul(a, b), slow ? 1 : 10);
    emit("matmul_1024_gflops", (2 * 1024 ** 3) / (ms * 1e6), "GFLOP/s");
    const x = tf.randomNormal([8, 256, 64], 0, 1, "float32", 3),
      w = tf.randomNormal([8, 64, 256], 0, 1, "float32", 4);
    emit(
      "bmm_8x256x64x256_ms",
      timeIt(() => tf.matMul(x, w), slow ? 2 : 30),
      "ms",
    );
    tf.dispose([a, b, x, w]);
  }

  const { vocab, dModel, nLayers, nHeads, dFf, B, T, lr } = SIZES;
  const cfg = sr.models.config({ family: "llama", vocabSize: vocab, dModel, nLayers, nHeads, dFf, maxSeq: T });
  const model = sr.models.create(cfg, { seed: 0 });
  const vars = [...model.parameters().values()];
  const nParams = vars.reduce((n, v) => n + v.size, 0);
  let s = 12345;
  const rand = () => {
    s = (s * 1103515245 + 12345) >>> 0;
    return (s >>> 8) % vocab;
  };
  const seq = Array.from({ length: B }, () => Array.from({ length: T + 1 }, rand));
  const ids = seq.map((r) => r.slice(0, T)); // [B, T]
  const onehot = tf.oneHot(
    tf.tensor1d(
      seq.flatMap((r) => r.slice(1)),
      "int32",
    ),
    vocab,
  ); // [B*T, V]
  const opt = tf.train.adam(lr);
  const step = () => {
    const loss = tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => {
        const logits = tf.reshape(model.logits(ids), [B * T, vocab]); // [B*T, V]
        return tf.neg(tf.mean(tf.sum(tf.mul(tf.logSoftmax(logits), onehot), -1))) as tfc.Scalar; // []
      }, vars);
      opt.applyGradients(grads as Parameters<typeof opt.applyGradients>[0]);
      return value;
    });
    const v = loss.dataSync()[0]!;
    loss.dispose();
    return v;
  };
  const n = slow ? Math.max(1, Number(flag(process.argv, "cpu-steps", "1"))) : steps;
  const w = slow ? 0 : warmup; // the cpu backend: ~1 min a step; its first step is the timed one
  let first = NaN,
    last = NaN;
  for (let i = 0; i < w; i++) {
    last = step();
    if (i === 0) first = last;
  }
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    last = step();
    ms.push(performance.now() - t0);
    if (Number.isNaN(first)) first = last;
  }
  const stepMs = median(ms);
  emit("train_tokens_per_s", (B * T) / (stepMs / 1000), "tokens/s", {
    step_ms: +stepMs.toFixed(1),
    steps: n,
    params: nParams,
    loss_first: +first.toFixed(4),
    loss_last: +last.toFixed(4),
  });
  process.exit(0);
}

// ---- the run: children in turns, then ratios ------------------------------------------------

function runChild(config: string, args: string[]): Row[] {
  const r = spawnSync(process.execPath, [SELF, "--child", config, ...args], { encoding: "utf8", cwd: REPO_ROOT, timeout: 600_000 });
  if (r.status !== 0) {
    process.stderr.write(`[bench:train] ${config} failed (${r.status ?? r.signal}): ${(r.stderr ?? "").slice(-600)}\n`);
    return [];
  }
  return r.stdout
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Row);
}

function runPython(py: string, steps: number, warmup: number): Row[] {
  const script = fileURLToPath(new URL("../../bench/train_reference.py", import.meta.url));
  const r = spawnSync(py, [script, "--steps", String(steps), "--warmup", String(warmup), "--threads", "2"], {
    encoding: "utf8",
    timeout: 240_000,
  });
  if (r.status !== 0) {
    process.stderr.write(`[bench:train] pytorch failed: ${(r.stderr ?? "").slice(-600)}\n`);
    return [];
  }
  return r.stdout
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Row);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const steps = Number(flag(args, "steps", "5"));
  const warmup = Number(flag(args, "warmup", "2"));
  if (args.includes("--child")) return child(flag(args, "child", "wasm:1"), steps, warmup);

  const wasmThreads = Math.min(8, cpus().length);
  const defaults = ["wasm:1", ...(wasmThreads > 1 ? [`wasm:${wasmThreads}`] : []), "cpu"];
  const configs = flag(args, "configs", defaults.join(",")).split(",").filter(Boolean);
  if (args.includes("--before")) configs.unshift("wasm-stock:1");
  let hasTensorflow = false;
  try {
    await import("@tensorflow/tfjs-node" as string);
    hasTensorflow = true;
  } catch {
    /* optional */
  }
  if (hasTensorflow && !configs.includes("tensorflow")) configs.push("tensorflow");
  const py = args.includes("--no-python") ? null : findTorchPython(flag(args, "python", ""));
  const passArgs = ["--steps", String(steps), "--warmup", String(warmup), "--cpu-steps", flag(args, "cpu-steps", "1")];

  const rows: Row[] = [];
  const t0 = Date.now();
  if (py) {
    process.stderr.write(`[bench:train] pytorch (${py}) ...\n`);
    rows.push(...runPython(py, steps, warmup));
  } else process.stderr.write("[bench:train] no python3 with torch: skipping the PyTorch reference\n");
  for (const c of configs) {
    process.stderr.write(`[bench:train] stillroom ${c} ...\n`);
    rows.push(...runChild(c, passArgs));
  }
  for (const r of rows) console.log(JSON.stringify(r));

  const torch = new Map(rows.filter((r) => r.impl === "pytorch").map((r) => [r.metric, r.value]));
  const ratios: Row[] = [];
  for (const r of rows.filter((x) => x.impl === "stillroom")) {
    const p = torch.get(r.metric);
    if (p === undefined) continue;
    // higher is better for GFLOP/s and tokens/s; for ms the ratio is pytorch_ms / stillroom_ms
    const ratio = r.unit === "ms" ? p / r.value : r.value / p;
    const line = {
      ratio: `stillroom/pytorch`,
      config: r.config,
      metric: r.metric,
      value: +ratio.toPrecision(3),
      note: "speed ratio, >1 means Stillroom is faster",
    };
    ratios.push(line as unknown as Row);
    console.log(JSON.stringify(line));
  }

  const metrics = ["matmul_1024_gflops", "bmm_8x256x64x256_ms", "train_tokens_per_s"];
  const cols = [...new Set(rows.map((r) => `${r.impl} ${r.config}`))];
  const cell = (col: string, m: string) => rows.find((r) => `${r.impl} ${r.config}` === col && r.metric === m)?.value ?? "";
  const table = [
    `| metric | ${cols.join(" | ")} |`,
    `|---|${cols.map(() => "---:").join("|")}|`,
    ...metrics.map((m) => `| ${m} | ${cols.map((c) => cell(c, m)).join(" | ")} |`),
  ];
  process.stderr.write(`\n${table.join("\n")}\n\n[bench:train] ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
}

await main();
