// Which top-k KL recovers more: a "rest" bucket for the tail, or both sides renormalised over the
// top-k (sdk/distill/loss.ts)? One stage-I student is distilled once per (tail, k) on the same
// batches and budget, then measured against its teacher on held-out examples: exact-match recovery
// (student / teacher, mean over tasks) and the full KL(teacher || student) per answer token, which
// the top-k term approximates. A small teacher is trained first on two tasks it learns quickly; the
// student's window is kept short so that the mLSTM has to carry what the tasks need.
//
// stdout: JSON lines {tail, k, gamma, beta, recovery, kl, ...} and the load average.
// Run: npm run build && node dist/bench/distill-tail.js [--ks 2,8] [--steps 150] [--gamma 0 --beta 1] [--seeds 0]
import { flag } from "./cli.js";
import { loadavg } from "node:os";

const argv = process.argv;
const ks = flag(argv, "ks", "2,8").split(",").map(Number);
const steps = Number(flag(argv, "steps", "150"));
const alignSteps = Number(flag(argv, "align", "60"));
const teacherSteps = Number(flag(argv, "teacher", "300"));
const gamma = Number(flag(argv, "gamma", "0"));
const beta = Number(flag(argv, "beta", "1"));
const seeds = flag(argv, "seeds", "0").split(",").map(Number);
process.env.STILLROOM_BACKEND = flag(argv, "backend", "wasm");

const sr = await import("../sdk/index.js");
const { tf } = sr;
const emit = (row: object) => console.log(JSON.stringify(row));
const load = () => loadavg().map((x) => +x.toFixed(2));
emit({ bench: "distill-tail", ks, steps, alignSteps, teacherSteps, gamma, beta, seeds, loadavg_start: load() });

const tasks = sr.tasks.suite(["copy", "lm"], { n: 100, options: { copy: { length: 8 }, lm: { context: 20 } } });
const teacher = sr.models.create(
  { family: "llama", vocabSize: sr.tasks.VOCAB_SIZE, dModel: 64, nLayers: 2, nHeads: 4, dFf: 128, maxSeq: 64, eosTokenId: sr.tasks.EOS },
  { seed: 0 },
);
await sr.train.fit(teacher, tasks.batches({ batchSize: 16 }), { steps: teacherSteps, lr: 1e-2, warmup: 20, quiet: true });
const teacherScores = await tasks.score(teacher);
emit({ model: "teacher", scores: teacherScores.toJSON() });

/** Mean KL(teacher || student) per counted position over held-out batches (full distributions). */
async function heldOutKl(student: InstanceType<typeof sr.models.Model>): Promise<number> {
  let sum = 0;
  let n = 0;
  const eval_ = tasks.batches({ batchSize: 32, seed: 999 });
  for (let i = 0; i < 4; i++) {
    const b = eval_(i) as { ids: number[][]; labels: number[][] };
    const t = await sr.distill.batchTargets(teacher, b, sr.tasks.VOCAB_SIZE);
    const kl = tf.tidy(() => {
      const logits = student.logits(b.ids);
      return Array.from(sr.distill.distillTerms(logits, t, "bucket").kl.dataSync());
    });
    sum += kl.reduce((a, x) => a + x, 0);
    n += kl.length;
  }
  return sum / n;
}

for (const seed of seeds) {
  const aligned = sr.distill
    .student(teacher, { window: 4, sinks: 1, seed })
    .linearize()
    .align({ data: tasks.batches({ batchSize: 16, seed: 100 + seed }), steps: alignSteps });
  const s1 = await aligned.run({ quiet: true });
  const s1Scores = await tasks.score(s1);
  emit({ seed, model: "stage I", recovery: +(s1Scores.mean / teacherScores.mean).toFixed(4), kl: +(await heldOutKl(s1)).toFixed(4) });
  for (const k of ks) {
    for (const tail of ["bucket", "renormalize"] as const) {
      const t0 = performance.now();
      const s = await aligned
        .distill({ data: tasks.batches({ batchSize: 16, seed: 200 + seed }), steps, topK: k, tail, gamma, beta, lr: 3e-3 })
        .run({ quiet: true });
      const scores = await tasks.score(s);
      emit({
        seed,
        tail,
        k,
        gamma,
        beta,
        recovery: +(scores.mean / teacherScores.mean).toFixed(4),
        scores: scores.toJSON().map((r) => [r.task, r.accuracy]),
        kl: +(await heldOutKl(s)).toFixed(4),
        train_s: +((performance.now() - t0) / 1000).toFixed(1),
      });
      s.dispose();
    }
  }
}
emit({ loadavg_end: load() });
