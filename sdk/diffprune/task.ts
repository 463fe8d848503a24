// sr.diffprune.task: fine-tune a model for a classification task. The representation is the
// model's final hidden state pooled over each text (by default at its last real token, the [CLS]
// appended at the end, which a causal model's attention lets see the whole text; or the mean over
// real tokens); the task head is Dropout -> Linear on it. With `adversarial`, adversaries on the
// listed attributes train against the representation through gradient reversal: adversarial full
// fine-tuning, the baseline DiffPrune is compared with.

import * as tf from "@tensorflow/tfjs-core";
import { ArgumentError } from "../errors.js";
import { Model } from "../models/model.js";
import { namedParameters } from "../nn/module.js";
import { withTraining } from "../nn/mode.js";
import { subSeed } from "../nn/random.js";
import { BiasData } from "../tasks/bias-data.js";
import { progressSink } from "../train/progress.js";
import { withSubnetworks } from "./active.js";
import { disposeBatch, TrainingSet } from "./batches.js";
import { Core } from "./core.js";
import { Adversary, TaskHead } from "./heads.js";
import { group, LossLog, Stepper, stopPoint, yieldToEventLoop, type StepParam } from "./loop.js";
import { crossEntropy } from "./losses.js";
import { taskConfig, type TaskOptions } from "./options.js";
import { reverseGradient } from "./reversal.js";

/** Fine-tune `model` in place on data's training split; returns the core (model + task head). */
export async function task(model: Model, data: BiasData, opts: TaskOptions = {}): Promise<Core> {
  const c = taskConfig(opts);
  if (!(model instanceof Model)) throw new ArgumentError("model", model, "an sr.models Model", "diffprune.task");
  if (!(data instanceof BiasData))
    throw new ArgumentError("data", data, "a BiasData (sr.tasks.bios(), sr.tasks.readBiasData(...))", "diffprune.task");
  const groups = c.adversarial.map((a) => data.groups(a));
  if (model.config.vocabSize < data.tokenizer.vocabSize) {
    throw new ArgumentError(
      "model.config.vocabSize",
      model.config.vocabSize,
      `at least the tokenizer's ${data.tokenizer.vocabSize} ids`,
      "diffprune.task",
    );
  }
  const trainable = [...model.parameters()].filter(([n, v]) => v.trainable && !n.includes(".parametrizations."));
  if (trainable.length === 0) throw new Error("diffprune.task: every weight of the model is frozen; unfreeze some (model.unfreeze())");
  model.tokenizer ??= data.tokenizer; // saved with the model
  const C = model.config.dModel;
  const head = TaskHead.create(C, data.labels.length, { dropout: c.dropout, seed: subSeed(c.seed, "task") });
  const core = new Core({
    model,
    head,
    labels: data.labels,
    pooling: c.pooling,
    maxLength: c.maxLength,
    tokenizer: data.tokenizer,
    dropout: c.dropout,
  });
  const adversaries = c.adversarial.map((a, i) => new Adversary(C, groups[i].length, { seed: subSeed(c.seed, `adversary.${a}`) }));
  const params = new Map<string, StepParam>([
    ...group(trainable, c.lr, c.weightDecay),
    ...group(core.headParameters(), c.headLr, c.weightDecay),
    ...adversaries.flatMap((adv, i) =>
      [...group(namedParameters(adv), c.headLr, c.weightDecay)].map(([n, p]) => [`adversary.${c.adversarial[i]}.${n}`, p] as const),
    ),
  ]);
  const stepper = new Stepper(params, c.clipNorm);
  const set = new TrainingSet(core, data.train, c.adversarial);
  const perEpoch = Math.ceil(set.size / c.batchSize);
  const steps = c.epochs * perEpoch;
  const sink = progressSink(c.adversarial.length ? `task + adversaries (${c.adversarial.join(", ")})` : "task", steps, c.quiet);
  const log = new LossLog();
  let step = 0;
  try {
    for (let epoch = 0; epoch < c.epochs; epoch++) {
      for (const idx of set.epoch(c.batchSize, c.seed, epoch)) {
        stopPoint(`diffprune.task: step ${step + 1} of ${steps}`, c.signal);
        const b = set.batch(idx);
        const parts: Record<string, number> = {};
        const loss = stepper.step(() =>
          withTraining(true, () =>
            withSubnetworks(core, [], "sum", () => {
              const h = core.pooled(b.batch, true); // [B, C]
              const taskLoss = crossEntropy(head.forward(h), b.labels); // []
              parts.task = taskLoss.dataSync()[0];
              let total: tf.Scalar = taskLoss;
              adversaries.forEach((adv, i) => {
                const a = c.adversarial[i];
                const l = adv.loss(reverseGradient(h, c.lambda), b.groups.get(a)!); // []
                parts[`adversary ${a}`] = l.dataSync()[0];
                total = tf.add(total, l);
              });
              return total;
            }),
          ),
        );
        disposeBatch(b);
        step++;
        log.add({ loss, ...parts });
        c.onProgress?.({ step, steps, losses: { loss, ...parts } });
        sink.update(step, { loss, ...(c.adversarial.length ? parts : {}) });
        await yieldToEventLoop();
      }
    }
    sink.done();
  } finally {
    stepper.dispose();
    for (const adv of adversaries) for (const v of namedParameters(adv).values()) v.dispose();
  }
  core.log = log;
  return core;
}
