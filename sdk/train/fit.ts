// The training loop: AdamW over the selected parameters, warmup + decay schedule, gradient
// accumulation and clipping, progress events, checkpoints that resume the same trajectory.

import * as tf from "@tensorflow/tfjs-core";
import type { Model } from "../models/model.js";
import { AdamW } from "./adamw.js";
import { globalNorm, scaleToNorm } from "./clip.js";
import { causalLmLoss } from "./loss.js";
import { lrAt } from "./schedule.js";
import { resolveParams } from "./params.js";
import { gradientsOf } from "./grads.js";
import { withTraining } from "../nn/mode.js";
import { checkBatch, openSource, type Batch, type Data } from "./data.js";
import { History } from "./history.js";
import { progressSink } from "./progress.js";
import { loadCheckpoint, saveCheckpoint } from "./checkpoint.js";
import { fitConfig, type FitConfig, type FitOptions, type ProgressEvent } from "./options.js";
import { throwIfCancelled } from "../runtime/cancel.js";

type Checked = Required<Pick<Batch, "ids" | "labels">> & Batch;

function defaultLoss(model: Model, b: Checked): tf.Scalar {
  const logits = model.logits(b.ids, { attentionMask: b.mask, labels: b.labels }); // [B, T, V]
  const loss = causalLmLoss(logits, b.labels); // []
  logits.dispose();
  return loss;
}

/** Sum of gradients over micro-batches; returns the mean loss and the averaged gradients. */
async function accumulate(
  model: Model,
  c: FitConfig,
  vars: tf.Variable[],
  nameOf: Map<string, string>,
  next: () => Promise<Batch>,
  step: number,
): Promise<{ loss: number; grads: Map<string, tf.Tensor>; tokens: number }> {
  const lossFn = c.loss ?? defaultLoss;
  let sum: Map<string, tf.Tensor> | null = null;
  let loss = 0;
  let tokens = 0;
  for (let k = 0; k < c.accumulate; k++) {
    const b = await next();
    const checked = { ...b, ...checkBatch(b, model.config.vocabSize, `fit: step ${step + 1}, batch ${k}`) };
    tokens += checked.ids.length * checked.ids[0].length;
    // training mode for everything the loss runs, the model and any head outside it
    const { value, grads } = gradientsOf(() => withTraining(true, () => lossFn(model, checked)), vars);
    loss += (await value.data())[0]; // read without blocking: webgpu has no synchronous read
    value.dispose();
    if (!sum) sum = new Map(Object.entries(grads).map(([vn, g]) => [nameOf.get(vn)!, g]));
    else {
      for (const [vn, g] of Object.entries(grads)) {
        const n = nameOf.get(vn)!;
        const old = sum.get(n)!;
        sum.set(n, tf.add(old, g));
        old.dispose();
        g.dispose();
      }
    }
  }
  if (c.accumulate > 1) {
    for (const [n, g] of sum!) {
      sum!.set(n, tf.div(g, c.accumulate));
      g.dispose();
    }
  }
  return { loss: loss / c.accumulate, grads: sum!, tokens };
}

/**
 * Train `model` in place on `data`; returns the loss history (it displays as a chart). Trains the
 * model's trainable parameters, or what `params` selects; runs its steps in training mode and
 * gives the model back in the mode it had.
 */
export async function fit(model: Model, data: Data, options: FitOptions): Promise<History> {
  const c = fitConfig(options);
  const trainable = resolveParams(model.parameters(), c.params, c.lr, c.weightDecay);
  const params = new Map([...trainable].map(([n, t]) => [n, t.variable]));
  const vars = [...params.values()];
  const nameOf = new Map([...params].map(([n, v]) => [v.name, n]));
  const opt = new AdamW({ beta1: c.beta1, beta2: c.beta2, eps: c.eps });
  let history = new History();
  let start = 0;
  let position = 0;
  const source = { close: async () => undefined } as { close(): Promise<void>; next?: () => Promise<Batch>; position?: number };
  const wasTraining = model.training;
  model.train();
  try {
    if (c.checkpoint) {
      const st = await loadCheckpoint(c.checkpoint.dir, model.parameters(), opt);
      if (st) {
        if (st.seed !== c.seed) throw new Error(`fit: the checkpoint in ${c.checkpoint.dir} was made with seed ${st.seed}, not ${c.seed}`);
        history = History.from(st.history);
        history.resumedFrom = st.step;
        start = st.step;
        position = st.dataPosition;
      }
    }
    const src = await openSource(data, position);
    Object.assign(source, { close: () => src.close() });
    const sink = progressSink(c.label, c.steps, c.quiet);
    sink.update(start, {});
    const t0 = performance.now();
    const priorMs = history.elapsedMs;
    let tokens = 0;
    for (let step = start; step < c.steps; step++) {
      const factor = lrAt(step, { schedule: c.schedule, lr: 1, minLr: c.minLr / c.lr, warmup: c.warmup, steps: c.steps });
      const where = `${options.label ?? "fit"}: step ${step + 1} of ${c.steps}`; // a caller's label names its loop
      // Stopped between steps, the model keeps the weights of the steps done; error.partial is the History.
      throwIfCancelled(where, c.signal, history);
      const r = await accumulate(model, c, vars, nameOf, () => src.next(), step);
      if (!Number.isFinite(r.loss)) {
        tf.dispose([...r.grads.values()]);
        if (c.nonFinite === "skip") continue;
        throw new Error(
          `${where}: the loss is ${r.loss}; stopped before this step's update (lower lr, check the data, or pass nonFinite: "skip")`,
        );
      }
      const normTensor = globalNorm(r.grads); // []
      const norm = (await normTensor.data())[0];
      normTensor.dispose();
      const grads = scaleToNorm(r.grads, norm, c.clipNorm);
      opt.apply(params, grads, (n) => ({ lr: trainable.get(n)!.lr * factor, weightDecay: trainable.get(n)!.weightDecay }));
      tf.dispose([...grads.values()]);
      tokens += r.tokens;
      const elapsed = performance.now() - t0;
      const lr = c.lr * factor;
      history.loss.push(r.loss);
      history.lr.push(lr);
      history.gradNorm.push(norm);
      history.steps = step + 1;
      history.elapsedMs = priorMs + elapsed;
      history.tokensPerSecond = (tokens / elapsed) * 1000;
      const e: ProgressEvent = {
        step: step + 1,
        steps: c.steps,
        loss: r.loss,
        lr,
        tokensPerSecond: history.tokensPerSecond,
        elapsedMs: history.elapsedMs,
      };
      c.onProgress?.(e);
      sink.update(step + 1, { loss: r.loss, lr, "tok/s": Math.round(history.tokensPerSecond) });
      if (c.checkpoint && ((step + 1) % c.checkpoint.every === 0 || step + 1 === c.steps)) {
        await saveCheckpoint(
          c.checkpoint.dir,
          model.parameters(),
          opt,
          { step: step + 1, seed: c.seed, dataPosition: src.position, history: history.toJSON() },
          c.checkpoint.keep,
        );
      }
    }
    sink.done();
    return history;
  } finally {
    model.train(wasTraining);
    opt.dispose();
    await source.close();
  }
}
