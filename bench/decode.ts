// Decoding benchmark: a transformer teacher (KV cache) beside its hybrid mLSTM student on the same
// backend, in one process, at growing context: time per decoding step for a batch, the bytes each
// keeps to decode on, and prefill throughput. The model is big enough that attention over the
// cache, not per-op overhead, dominates the teacher's decoding at long context (d = 256, 4 layers,
// batch 8 by default); weights are random (speed does not depend on them).
//
// Each model grows one decoding cache through the contexts in increasing order (sr.eval.decodeCost):
// the prompt is extended to the next context in chunks (--chunk tokens per forward, as long prompts
// are prefilled), then the two models take turns, --rounds turns of --tokens / --rounds timed steps
// each (after --warmup untimed ones), so that load from other work falls on both; a step's time is
// the median over the turns.
//
// stdout: JSON lines: the setting and the load average, one line per (model, context), then
// {ratio: "student/teacher", metric: "tokens_per_s", context, value} lines, the student's spread
// of ms per step over the contexts (max / min - 1), and the load average at the end.
//
// Run: npm run bench:decode [-- --contexts 512,1024,2048,4096,8192 --batch 8 --tokens 16 --rounds 4 --chunk 128
//      --d 256 --layers 4 --heads 4 --window 512 --backend wasm]
import { flag } from "./cli.js";
import type { DecodeCostRow } from "../sdk/eval/index.js";
import { loadavg } from "node:os";

const argv = process.argv;
const num = (name: string, fallback: string) => Number(flag(argv, name, fallback));
const contexts = flag(argv, "contexts", "512,1024,2048,4096,8192").split(",").filter(Boolean).map(Number);
const B = num("batch", "8");
const tokens = num("tokens", "16");
const warmup = num("warmup", "2");
const rounds = num("rounds", "4");
const chunk = num("chunk", "128");
const d = num("d", "256");
const layers = num("layers", "4");
const heads = num("heads", "4");
const window = num("window", "512");
const sinks = num("sinks", "4");
process.env.STILLROOM_BACKEND = flag(argv, "backend", "wasm");

const sr = await import("../sdk/index.js");
const info = sr.backend.info();
const load = () => loadavg().map((x) => +x.toFixed(2));
const emit = (row: object) => console.log(JSON.stringify(row));

const longest = Math.max(...contexts);
const teacher = sr.models.create(
  {
    family: "llama",
    vocabSize: 512,
    dModel: d,
    nLayers: layers,
    nHeads: heads,
    dFf: Math.round((8 / 3) * d),
    // room for what decodeCost adds after the longest prompt: rounds of tokens / rounds steps, rounded
    maxSeq: longest + contexts.length * (warmup + rounds * Math.max(1, Math.round(tokens / rounds))) + 8,
  },
  { seed: 0 },
);
const student = sr.distill.linearize(teacher, { ...sr.distill.STUDENT_DEFAULTS, window, sinks, featureDim: undefined });
emit({
  bench: "decode",
  backend: info.name,
  threads: info.threads,
  d,
  layers,
  heads,
  head_dim: d / heads,
  batch: B,
  window,
  sinks,
  tokens,
  rounds,
  chunk,
  params: teacher.numParams(),
  loadavg_start: load(),
});

const row = (r: DecodeCostRow) =>
  emit({
    model: r.model,
    context: r.context,
    batch: r.batch,
    ms_per_step: +r.msPerToken.toFixed(2),
    tokens_per_s: +r.tokensPerSecond.toFixed(1),
    prefill_tokens_per_s: Number.isFinite(r.prefillTokensPerSecond) ? +r.prefillTokensPerSecond.toFixed(1) : null,
    state_mb: +r.stateMB.toFixed(3),
  });
const cost = await sr.eval.decodeCost(
  { teacher, student },
  { contexts, batch: B, tokens, warmup, rounds, chunk, onRow: (rs) => rs.forEach(row) },
);
const rowsOf = (m: string) => cost.rows.filter((r) => r.model === m);
const teacherRows = rowsOf("teacher");
rowsOf("student").forEach((s, i) => {
  const t = teacherRows[i]!;
  emit({
    ratio: "student/teacher",
    metric: "tokens_per_s",
    context: s.context,
    value: +(s.tokensPerSecond / t.tokensPerSecond).toFixed(2),
  });
  emit({
    ratio: "student/teacher",
    metric: "prefill_tokens_per_s",
    context: s.context,
    value: +(s.prefillTokensPerSecond / t.prefillTokensPerSecond).toFixed(2),
  });
});
const ms = rowsOf("student").map((r) => r.msPerToken);
emit({
  model: "student",
  metric: "ms_per_step_spread",
  value: +(Math.max(...ms) / Math.min(...ms) - 1).toFixed(3),
  note: "max / min - 1 over the contexts",
});
emit({ loadavg_end: load() });
