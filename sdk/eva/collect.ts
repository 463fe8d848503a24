// EVA's data pass (PEFT's get_eva_state_dict): run batches through the model in evaluation mode,
// read each target layer's input through the model's hooks (real tokens only), and update one
// incremental PCA per distinct input until every layer's components are stable.
//
// Per batch, as PEFT does: a layer whose first `rank` components all had cosine >= tau with the
// previous batch's is converged and its hook is taken off; ranks are then redistributed over all
// layers from the explained-variance ratios (so a converged layer whose rank grows opens again).
// Layers reading the same input (q_proj, k_proj and v_proj read one x) are found on the first batch
// and analysed once. Unlike PEFT, collection stops after maxIters batches: layers not converged by
// then are named in a warning and their latest estimate is used.
//
// With a second core the PCA updates of batch i run on a worker thread (pca-runner.ts) while the model
// runs on batch i + 1 with the layers open before batch i hooked; when batch i's updates are back,
// batch i + 1 feeds only the layers that are still open (a layer that opened again runs the batch
// again). So each layer sees the same batches in the same order as one after the other, and the
// results are the same bits.
//
// A forward stops once every hooked layer has seen its input: when the last layers have converged,
// the blocks above the deepest open one are not run.

import type { Model } from "../models/model.js";
import { linearPaths, selectLinears } from "../lora/targets.js";
import { checkBatch, type Batch, type Data } from "../train/data.js";
import { progressSink } from "../train/progress.js";
import { EvaActivations, type LayerActivations } from "./activations.js";
import { distributeRanks } from "./allocate.js";
import { throwIfCancelled } from "../runtime/cancel.js";
import { identicalInputs, type Kept, keptRows, keptTokens, type Rows } from "./capture.js";
import { activeBlas } from "../backend/blas/index.js";
import { lapack } from "../lora/linalg/lapack.js";
import { type CollectConfig, type CollectOptions, collectConfig, maxComponents } from "./options.js";
import { type PcaJob, type PcaSnapshot, pcaRunner } from "./pca-runner.js";
import { batchSource } from "./source.js";

const WHERE = "eva.collect";

/**
 * Thrown by the input hook that completes a forward's captures, and caught by runBatch: what the model
 * would compute after the last hooked layer's input (the layers above it, the final norm) is not
 * needed, so the forward stops there. tf.tidy disposes a scope it leaves by a throw, and the model's
 * mode and hooks are restored in `finally` blocks, so stopping leaves nothing behind.
 */
const ENOUGH = Symbol("every hooked input captured");

/**
 * One forward of `batch` with input hooks on `paths`, stopped once every hooked layer has seen its
 * input; the kept rows of each path's input, and its tensor id.
 */
function runBatch(
  model: Model,
  batch: Batch,
  index: number,
  paths: string[],
  c: CollectConfig,
): Map<string, { tensorId: number; rows: Rows }> {
  const { ids } = checkBatch(batch, model.config.vocabSize, `${WHERE}: batch ${index}`);
  const captured = new Map<string, { tensorId: number; rows: Rows }>();
  let kept: Kept | null = null;
  const removers = paths.map((p) =>
    model.hook(p, {
      input: (x, call) => {
        if (captured.has(p)) return; // a module called twice in one forward: its first call counts
        if (!call.batch) throw new Error(`${WHERE}: ${p} ran without the batch's mask in view`);
        kept ??= keptTokens(call.batch, c);
        if (kept.index.length === 0) {
          const why =
            kept.real === 0 ? "the attention mask is 0 everywhere" : `all ${kept.real} real tokens have label ${c.labelIgnoreIndex}`;
          throw new Error(
            `${WHERE}: batch ${index} has no token left after masking (${why}); EVA needs tokens to analyse: give labels on the tokens to learn${c.useLabelMask ? ", or pass useLabelMask: false" : ""}`,
          );
        }
        captured.set(p, { tensorId: x.id, rows: keptRows(x, kept) });
        if (captured.size === paths.length) throw ENOUGH;
      },
    }),
  );
  try {
    const opts = { attentionMask: batch.mask, labels: batch.labels, training: false };
    const logits = paths.some((p) => p === "lm_head" || p.startsWith("lm_head."));
    (logits ? model.logits(ids, opts) : model.hidden(ids, opts)).dispose();
  } catch (error) {
    if (error !== ENOUGH) throw error;
  } finally {
    for (const r of removers) r();
    (kept as Kept | null)?.tensor?.dispose();
  }
  return captured;
}

/** A batch the model has run on, with the kept rows of the layers hooked. */
interface Forwarded {
  batch: Batch;
  /** the layers hooked in that forward */
  hooked: string[];
  captured: Map<string, { tensorId: number; rows: Rows }>;
}

/**
 * OpenBLAS at one thread for the collection; returns what puts the count back. With the PCA on the
 * worker two threads call OpenBLAS (the model here, the PCA there), and its helper threads spin for
 * a while after each call: at its default count both callers' helpers fight for the cores, and
 * collection ran 1.5-2x slower than with no worker at all. Helpers still spinning from the products
 * before (a fine-tuning just ended) are parked too: lowering the count leaves them spinning for
 * another 0.1 s, which took the worker's core for the first half of a collection. One thread also
 * makes the products' rounding independent of the machine and of `parallel`, so both ways give the
 * same bits; at EVA's sizes a product gains little from a second thread.
 */
function oneBlasThread(): () => void {
  const blas = activeBlas();
  const before = blas?.threads() ?? 1;
  if (!blas || before <= 1 || !blas.setThreads(1)) return () => undefined;
  // nothing else calls OpenBLAS now: the worker's previous collection has ended
  blas.parkHelpers();
  return () => {
    blas.setThreads(before);
  };
}

/** Cosine of each new component with the same-index previous one (both unit length) >= tau. */
function stable(now: Float64Array[], prev: Float64Array[], tau: number): boolean[] {
  return now.map((v, j) => {
    const u = prev[j];
    if (!u) return false;
    let dot = 0;
    for (let i = 0; i < v.length; i++) dot += v[i] * u[i];
    return dot >= tau;
  });
}

/**
 * Analyse the inputs of the target linears over `data` (batches as fit takes them: {ids, mask,
 * labels}), until every layer's components converge or maxIters batches have run. Returns per layer
 * the components, singular values, explained-variance ratios, convergence and batches used; it
 * displays as a table, and sr.eva.init turns it into an initialisation.
 */
export async function collect(model: Model, data: Data, options: CollectOptions): Promise<EvaActivations> {
  const c = collectConfig(options);
  const paths = selectLinears(model, c.targets, WHERE);
  const linears = linearPaths(model);
  const k = new Map(paths.map((p) => [p, maxComponents(WHERE, p, linears.get(p)!.inFeatures, c.r, c.rho)]));
  const src = batchSource(data, WHERE);
  const t0 = performance.now();
  let sharedWith = new Map<string, string>(); // member -> the layer analysed for it
  const pca = new Map<string, PcaSnapshot>(); // head -> its PCA after its last update
  const componentOk = new Map<string, boolean[]>(paths.map((p) => [p, []]));
  const updates = new Map<string, number>(paths.map((p) => [p, 0]));
  let rank: Record<string, number> = Object.fromEntries(k);
  const heads = () => paths.filter((p) => !sharedWith.has(p));
  const headOf = (p: string) => sharedWith.get(p) ?? p;
  // all components within the layer's current rank stable (rank 0: nothing to wait for)
  const isConverged = (p: string) => {
    const ok = componentOk.get(headOf(p)) ?? [];
    return ok.length >= rank[p] && ok.slice(0, rank[p]).every(Boolean);
  };
  let iterations = 0;
  let exhausted = false;
  const warnings: string[] = [];

  const result = () => {
    const layers = new Map<string, LayerActivations>();
    for (const p of paths) {
      const h = headOf(p);
      const ip = pca.get(h);
      layers.set(p, {
        path: p,
        inFeatures: linears.get(p)!.inFeatures,
        maxComponents: k.get(p)!,
        components: ip?.components ?? [],
        singularValues: ip?.singularValues ?? new Float64Array(0),
        explainedVarianceRatio: ip?.explainedVarianceRatio ?? new Float64Array(0),
        componentConverged: [...(componentOk.get(h) ?? [])],
        converged: isConverged(p),
        batches: updates.get(h) ?? 0,
        tokens: ip?.nSamplesSeen ?? 0,
        sharesInputWith: sharedWith.get(p) ?? null,
        rank: rank[p],
      });
    }
    return new EvaActivations(layers, {
      r: c.r,
      rho: c.rho,
      tau: c.tau,
      maxIters: c.maxIters,
      useLabelMask: c.useLabelMask,
      labelIgnoreIndex: c.labelIgnoreIndex,
      iterations,
      elapsedMs: performance.now() - t0,
      warnings,
    });
  };

  const forward = async (index: number, hooked: string[]): Promise<Forwarded | null> => {
    const batch = await src.next();
    return batch ? { batch, hooked, captured: runBatch(model, batch, index, hooked, c) } : null;
  };
  // the next batch, run while the PCA of the current one was on the worker; its error (a bad batch)
  // counts only if collection gets to that batch
  let ahead: { batch: Forwarded | null } | { error: unknown } | null = null;
  const runner = pcaRunner(c.parallel, lapack() !== null);
  const restoreBlas = oneBlasThread();
  const sink = progressSink(c.label, paths.length, c.quiet);
  try {
    for (;;) {
      const converged = paths.filter((p) => iterations > 0 && isConverged(p)).length;
      sink.update(converged, { "converged layers": `${converged}/${paths.length}`, batch: iterations });
      if (iterations > 0 && heads().every(isConverged)) break;
      if (iterations >= c.maxIters) break;
      throwIfCancelled(`${WHERE}: batch ${iterations + 1}`, c.signal, result());
      const active = iterations === 0 ? paths : heads().filter((h) => !isConverged(h));
      let cur: Forwarded | null;
      if (ahead) {
        const a = ahead;
        ahead = null;
        if ("error" in a) throw a.error;
        cur = a.batch;
      } else cur = await forward(iterations, active);
      if (!cur) {
        exhausted = true;
        break;
      }
      const missed = active.filter((h) => !cur!.hooked.includes(h));
      // a layer that converged before the last update and opened again with it was not hooked when
      // this batch ran ahead: run the batch again for the layers open now (rare; the same rows result)
      if (missed.length) cur = { batch: cur.batch, hooked: active, captured: runBatch(model, cur.batch, iterations, active, c) };
      if (iterations === 0) {
        sharedWith = identicalInputs(cur.captured);
        for (const [member, head] of sharedWith) k.set(head, Math.max(k.get(head)!, k.get(member)!));
        for (const [member, head] of sharedWith) k.set(member, k.get(head)!);
        rank = Object.fromEntries(k);
      }
      const jobs: PcaJob[] = [];
      for (const h of active) {
        if (sharedWith.has(h)) continue;
        const rows = cur.captured.get(h)?.rows;
        if (!rows || rows.n < k.get(h)!) continue; // fewer tokens than components: this batch cannot update it
        jobs.push({ key: h, k: k.get(h)!, data: rows.data, n: rows.n, d: rows.d, where: `${WHERE}: ${h}` });
      }
      const work = runner.update(jobs);
      if (runner.parallel && iterations + 1 < c.maxIters) {
        work.catch(() => undefined); // awaited below; this only keeps an early failure from counting as unhandled
        // which layers the next batch updates is known only when this batch's updates are back: it
        // runs for the layers open now (those that converge with this update are captured in vain;
        // one that opens again when its rank grows makes the batch run again, above)
        try {
          ahead = { batch: await forward(iterations + 1, iterations === 0 ? heads() : active) };
        } catch (error) {
          ahead = { error };
        }
      }
      for (const [h, now] of await work) {
        const prev = pca.get(h)?.components;
        pca.set(h, now);
        updates.set(h, updates.get(h)! + 1);
        // no layer converges on its first update
        if (prev) componentOk.set(h, stable(now.components, prev, c.tau));
      }
      iterations++;
      if (heads().every((h) => pca.has(h))) {
        const ratios = Object.fromEntries(paths.map((p) => [p, pca.get(headOf(p))!.explainedVarianceRatio.slice(0, k.get(p))]));
        rank = distributeRanks(ratios, c.r * paths.length, sharedWith);
      }
    }
  } finally {
    restoreBlas();
    sink.done();
    runner.close();
    await src.close();
  }
  const missing = heads().filter((h) => !pca.has(h));
  if (missing.length) {
    throw new Error(
      `${WHERE}: ${missing.join(", ")} never saw a batch with at least ${k.get(missing[0])} tokens (round(r * rho) components) in ${iterations} batches; use larger batches or lower r or rho`,
    );
  }
  for (const h of heads()) {
    if (isConverged(h)) continue;
    const group = paths.filter((p) => sharedWith.get(p) === h);
    const who = group.length ? `${h} (and ${group.join(", ")}, which read the same input)` : h;
    const why = exhausted ? `the data ran out after ${iterations} batches` : `maxIters = ${c.maxIters} batches ran`;
    warnings.push(`${who} did not converge (tau = ${c.tau}) before ${why}; its latest estimate is used`);
  }
  for (const w of warnings) console.warn(`${WHERE}: ${w}`);
  return result();
}
