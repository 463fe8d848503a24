// mLSTM benchmark: forward + backward time of the parallel form against the chunkwise form (the
// training form) at growing sequence lengths, side by side in one process on one backend, and the
// per-token cost of the recurrent step (the decoding form) at growing context. Forms alternate
// within every repetition so that machine noise falls on both alike.
//
// Timed: tf.grads of sum(h * r) with respect to q, k, v and both gates (forward and backward), and
// the forward alone; medians over --reps after one warm-up each. Also reported per call: the number
// of tfjs kernels run and the peak bytes allocated (tf.profile).
//
// stdout: JSON lines {form, S, metric, value, unit, ...}, then {ratio: "parallel/chunkwise", S,
// metric, value} lines, and the load average (`uptime`) at the start and the end: other work on
// the machine slows everything and should be read beside the numbers.
//
// Run: npm run build && node dist/bench/mlstm.js [--S 256,512,1024] [--B 1] [--H 4] [--dqk 64] [--dv 128]
//      [--chunk 64] [--reps 5] [--backend wasm] [--decode 256,1024,4096]
import type * as tfc from "@tensorflow/tfjs-core";
import { flag } from "./cli.js";
import { loadavg } from "node:os";

const argv = process.argv;
const list = (name: string, fallback: string) => flag(argv, name, fallback).split(",").filter(Boolean).map(Number);
const Ss = list("S", "256,512,1024");
const B = Number(flag(argv, "B", "1"));
const H = Number(flag(argv, "H", "4"));
const K = Number(flag(argv, "dqk", "64"));
const V = Number(flag(argv, "dv", "128"));
const L = Number(flag(argv, "chunk", "64"));
const reps = Number(flag(argv, "reps", "5"));
const decodeAt = list("decode", "256,1024,4096");
process.env.STILLROOM_BACKEND = flag(argv, "backend", "wasm");

const sr = await import("../sdk/index.js");
const { tf, xlstm } = sr;
const info = sr.backend.info();
const load = () => loadavg().map((x) => +x.toFixed(2));
const emit = (row: object) => console.log(JSON.stringify(row));
emit({
  bench: "mlstm",
  backend: info.name,
  device: info.device,
  threads: info.threads,
  B,
  H,
  dqk: K,
  dv: V,
  chunk: L,
  reps,
  loadavg_start: load(),
});

/** Kernels run and peak MiB allocated by f (read at once: tf.profile reuses one result object). */
async function profile(f: () => void): Promise<{ kernels: number; peak_mb: number }> {
  const p = await tf.profile(f);
  return { kernels: p.kernels.length, peak_mb: +(p.peakBytes / 2 ** 20).toFixed(1) };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
type Form = "parallel" | "chunkwise";
const FORMS: Form[] = ["parallel", "chunkwise"];

for (const S of Ss) {
  const x = {
    q: tf.randomNormal([B, H, S, K], 0, 1, "float32", 1) as tfc.Tensor4D,
    k: tf.randomNormal([B, H, S, K], 0, 1, "float32", 2) as tfc.Tensor4D,
    v: tf.randomNormal([B, H, S, V], 0, 1, "float32", 3) as tfc.Tensor4D,
    i: tf.randomNormal([B, H, S], 0, 1, "float32", 4) as tfc.Tensor3D,
    f: tf.randomNormal([B, H, S], 3, 1, "float32", 5) as tfc.Tensor3D,
  };
  const r = tf.randomNormal([B, H, S, V], 0, 1, "float32", 6);
  const forward = (form: Form, q: tfc.Tensor, k: tfc.Tensor, v: tfc.Tensor, i: tfc.Tensor, f: tfc.Tensor) => {
    const a = [q, k, v, i, f] as [tfc.Tensor4D, tfc.Tensor4D, tfc.Tensor4D, tfc.Tensor3D, tfc.Tensor3D];
    return form === "parallel" ? xlstm.mlstmParallel(...a) : xlstm.mlstmChunkwise(...a, { chunkSize: L });
  };
  const fwdBwd = (form: Form) => {
    const g = tf.grads((q, k, v, i, f) => tf.sum(tf.mul(forward(form, q, k, v, i, f), r)))([x.q, x.k, x.v, x.i, x.f]);
    for (const t of g) t.dataSync();
    tf.dispose(g);
  };
  const fwd = (form: Form) => {
    const h = forward(form, x.q, x.k, x.v, x.i, x.f);
    h.dataSync();
    h.dispose();
  };
  const ms: Record<string, number[]> = {};
  const time = (key: string, f: () => void) => {
    const t0 = performance.now();
    f();
    ms[key] = [...(ms[key] ?? []), performance.now() - t0];
  };
  for (const form of FORMS) {
    fwdBwd(form); // warm-up
    fwd(form);
  }
  for (let rep = 0; rep < reps; rep++) {
    for (const form of rep % 2 ? [...FORMS].reverse() : FORMS) {
      time(`${form} fwd+bwd`, () => fwdBwd(form));
      time(`${form} fwd`, () => fwd(form));
    }
  }
  const stats: Record<string, Record<string, number>> = {};
  for (const form of FORMS) {
    stats[form] = { fwd_bwd_ms: median(ms[`${form} fwd+bwd`]!), fwd_ms: median(ms[`${form} fwd`]!) };
    for (const [metric, run] of [
      ["fwd_bwd_ms", fwdBwd],
      ["fwd_ms", fwd],
    ] as const) {
      const p = await profile(() => run(form));
      emit({ form, S, metric, value: +stats[form][metric]!.toPrecision(4), unit: "ms", ...p });
    }
  }
  for (const metric of ["fwd_bwd_ms", "fwd_ms"]) {
    emit({ ratio: "parallel/chunkwise", S, metric, value: +(stats.parallel![metric]! / stats.chunkwise![metric]!).toFixed(3) });
  }
  tf.dispose([r, ...Object.values(x)]);
}

// Decoding: one mlstmStep per token after a chunkwise prefill of the context; time per token.
for (const S of decodeAt) {
  const q = tf.randomNormal([B, H, S, K], 0, 1, "float32", 7) as tfc.Tensor4D;
  const k = tf.randomNormal([B, H, S, K], 0, 1, "float32", 8) as tfc.Tensor4D;
  const v = tf.randomNormal([B, H, S, V], 0, 1, "float32", 9) as tfc.Tensor4D;
  const i = tf.randomNormal([B, H, S], 0, 1, "float32", 10) as tfc.Tensor3D;
  const f = tf.randomNormal([B, H, S], 3, 1, "float32", 11) as tfc.Tensor3D;
  const pre = xlstm.mlstmChunkwise(q, k, v, i, f, { chunkSize: L, returnState: true });
  let state = pre.state;
  const q1 = tf.randomNormal([B, H, K]) as tfc.Tensor3D;
  const k1 = tf.randomNormal([B, H, K]) as tfc.Tensor3D;
  const v1 = tf.randomNormal([B, H, V]) as tfc.Tensor3D;
  const g1 = tf.randomNormal([B, H]) as tfc.Tensor2D;
  const tokens = 256;
  const step = () => {
    const out = xlstm.mlstmStep(state, q1, k1, v1, g1, g1);
    out.h.dataSync();
    tf.dispose([out.h, state]);
    state = out.state;
  };
  for (let w = 0; w < 8; w++) step();
  const t0 = performance.now();
  for (let t = 0; t < tokens; t++) step();
  const perToken = (performance.now() - t0) / tokens;
  const prof = await profile(step);
  emit({
    form: "step",
    context: S,
    metric: "decode_ms_per_token",
    value: +perToken.toPrecision(4),
    unit: "ms",
    kernels: prof.kernels,
    state_kb: +(((K * V + K + 1) * B * H * 4) / 1024).toFixed(1),
  });
  tf.dispose([pre.h, state, q, k, v, i, f, q1, k1, v1, g1]);
}
emit({ bench: "mlstm", loadavg_end: load() });
