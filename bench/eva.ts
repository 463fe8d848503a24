// EVA benchmark: what EVA's data pass costs next to the fine-tuning it precedes, and what the
// incremental PCA costs next to a full SVD of the same rows. `npm run bench:eva` builds and runs it.
//
// 1. The notebook's full configuration (notebooks/02-eva.ipynb, FULL): the teacher
//    (sr.models.teacher()), LoRA on every linear at r 8 / alpha 16, rho 2, tau 0.99, the held-out
//    tasks (sr.tasks.HELD_OUT) in batches of 16; sr.eva.collect + sr.eva.init timed, then the
//    fine-tuning (sr.train.fit, 1000 steps, lr 3e-3) that starts from that init. Goal: init <= 1% of
//    fine-tuning. Also timed: the forward passes alone over the batches collect used (its floor).
// 2. For one attention input (d = dModel) and one down_proj input (d = dFf): the rows EVA keeps from
//    each batch, fed to IncrementalPCA.partialFit, against an SVD of every row seen so far (what a
//    non-incremental PCA would redo per batch), both in float64 with the same Jacobi SVD.
//
// stdout: JSON lines {metric, value, unit, ...}, and {ratio, value} lines; stderr: progress.
// Options: --steps 1000 --batch 16 --r 8 --rho 2 --tau 0.99 --seed 0 --batches 12 (part 2)
import { flag } from "./cli.js";

const args = process.argv.slice(2);
const STEPS = Number(flag(args, "steps", "1000"));
const BATCH = Number(flag(args, "batch", "16"));
const R = Number(flag(args, "r", "8"));
const RHO = Number(flag(args, "rho", "2"));
const TAU = Number(flag(args, "tau", "0.99"));
const SEED = Number(flag(args, "seed", "0"));
const PCA_BATCHES = Number(flag(args, "batches", "12"));
const TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];

const emit = (line: object) => console.log(JSON.stringify(line));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function initAgainstFineTuning() {
  const sr = await import("../sdk/index.js");
  const tasks = sr.tasks.suite(sr.tasks.HELD_OUT, { seed: SEED });
  const data = tasks.batches({ batchSize: BATCH, seed: SEED });
  const model = await sr.models.teacher({ quiet: true });
  console.error(`eva: collect + init on ${sr.backend.info().name}, r ${R}, rho ${RHO}, tau ${TAU}, batch ${BATCH}`);
  // one untimed collection first (the process's first forward and LAPACK's loading are a cold
  // start that a notebook pays once), then the median of three
  const collect = () => sr.eva.collect(model, data, { targets: TARGETS, r: R, rho: RHO, tau: TAU, quiet: true });
  let acts = await collect();
  const runs: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    acts = await collect();
    runs.push(performance.now() - t);
  }
  const collectMs = median(runs);
  const t1 = performance.now();
  const init = sr.eva.init(acts, { alpha: 2 * R });
  const t2 = performance.now();
  const t0 = t1 - collectMs; // so that t2 - t0 is collect (median) + init
  // the floor under collect: the same batches' forward passes alone (no hooks, no PCA)
  const tf0 = performance.now();
  for (let i = 0; i < acts.iterations; i++) {
    const b = data(i);
    sr.tf.tidy(() => model.hidden(b.ids, { attentionMask: b.mask, labels: b.labels, training: false })).dispose();
  }
  const forwardMs = performance.now() - tf0;
  const adapter = sr.lora.attach(model, { init });
  console.error(`eva: ${acts.summary()}; fine-tuning ${STEPS} steps`);
  const t3 = performance.now();
  const history = await sr.train.fit(model, data, { steps: STEPS, lr: 3e-3, warmup: 50, weightDecay: 0, seed: SEED, quiet: true });
  const t4 = performance.now();
  const scores = await tasks.score(model, { n: 200 });
  const common = { backend: sr.backend.info().name, steps: STEPS, batch: BATCH, r: R, rho: RHO, tau: TAU };
  emit({ metric: "eva_collect_ms", value: collectMs, unit: "ms", runs, batches: acts.iterations, converged: acts.converged, ...common });
  emit({ metric: "eva_init_ms", value: t2 - t1, unit: "ms", ...common });
  emit({ metric: "eva_forward_only_ms", value: forwardMs, unit: "ms", batches: acts.iterations, ...common });
  emit({ metric: "finetune_ms", value: t4 - t3, unit: "ms", final_loss: history.finalLoss, trainable: adapter.numParams(), ...common });
  emit({ metric: "finetune_accuracy", value: scores.rows.map((r) => ({ task: r.task, accuracy: r.accuracy })), ...common });
  emit({ ratio: "eva_collect_and_init/finetune", value: (t2 - t0) / (t4 - t3), goal: 0.01 });
  emit({ ratio: "forward_only/finetune", value: forwardMs / (t4 - t3) });
  adapter.detach();
  model.dispose();
}

async function incrementalAgainstFull() {
  const sr = await import("../sdk/index.js");
  const { svd } = await import("../sdk/lora/linalg/svd.js");
  const { matrix } = await import("../sdk/lora/linalg/matrix.js");
  const model = await sr.models.teacher({ quiet: true });
  const tasks = sr.tasks.suite(sr.tasks.HELD_OUT, { seed: SEED });
  const data = tasks.batches({ batchSize: BATCH, seed: SEED + 1 });
  const layers = ["model.layers.0.self_attn.q_proj", "model.layers.0.mlp.down_proj"];
  const k = Math.round(R * RHO);
  // OpenBLAS at one thread, as sr.eva.collect runs it (its helper threads' spinning costs more than
  // they give at these sizes)
  const blas = (await import("../sdk/backend/blas/index.js")).activeBlas();
  const threads = blas?.threads() ?? 1;
  blas?.setThreads(1);
  for (const path of layers) {
    const ipca = new sr.eva.IncrementalPCA(k);
    const seen: number[][] = [];
    const fit: number[] = [];
    const full: number[] = [];
    for (let i = 0; i < PCA_BATCHES; i++) {
      const b = data(i);
      const cap = model.capture(b.ids, [path], { attentionMask: b.mask, labels: b.labels });
      const x = cap.get(path)!.input.arraySync() as number[][][];
      sr.tf.dispose([cap.get(path)!.input, cap.get(path)!.output]);
      const rows = x.flatMap((row, bi) => row.filter((_, t) => b.labels![bi][t] !== -100));
      seen.push(...rows);
      const d = rows[0].length;
      let t = performance.now();
      ipca.partialFit(rows);
      fit.push(performance.now() - t);
      // the non-incremental alternative: centre everything seen so far and decompose it again
      t = performance.now();
      const all = matrix(seen.length, d);
      const mean = new Float64Array(d);
      for (const r of seen) for (let f = 0; f < d; f++) mean[f] += r[f] / seen.length;
      seen.forEach((r, n) => {
        for (let f = 0; f < d; f++) all.data[n * d + f] = r[f] - mean[f];
      });
      svd(all, { u: false });
      full.push(performance.now() - t);
      emit({
        metric: "pca_batch_ms",
        layer: path,
        d,
        batch: i,
        rows: rows.length,
        rows_seen: seen.length,
        incremental: fit[i],
        full_svd: full[i],
      });
    }
    emit({ metric: "ipca_partial_fit_median_ms", layer: path, value: median(fit), unit: "ms", k });
    emit({ metric: "full_svd_median_ms", layer: path, value: median(full), unit: "ms", rows_seen_at_end: seen.length });
    emit({ ratio: "full_svd/ipca_partial_fit (last batch)", layer: path, value: full.at(-1)! / fit.at(-1)! });
  }
  blas?.setThreads(threads);
  model.dispose();
}

await initAgainstFineTuning();
await incrementalAgainstFull();
