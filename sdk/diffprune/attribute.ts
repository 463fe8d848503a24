// sr.diffprune.attribute: train an attribute-removal subnetwork for a core (METHODS.md section 3).
//
// Each step, with only this subnetwork active and the core's weights and task head fixed:
//   loss = CE_task(head(h)) + sum over its attributes a of mean over heads CE_a(adversary_a(GRL(h)))
//          + l0Weight * L0        (the L0 term only while the gates are on)
// Phase one trains the gated diff (z * w) and log_alpha; then the top `sparsity` share of
// |z_eval * w| over all of the subnetwork's weights becomes a fixed mask, a fresh optimizer starts,
// and phase two trains only the masked entries. Regime "post" keeps the core frozen throughout;
// "par" (the reference's default) first takes a task step on the core with subnetworks off for
// every batch, so the core moves and subnetworks trained for it earlier go stale.
//
// Several attributes: one subnetwork each (a debias step each per batch), or with `merged` one
// subnetwork whose loss adds every attribute's adversary loss exactly once (the reference's merged
// adversary added the running sum of the earlier attributes' losses again for each attribute).

import * as tf from "@tensorflow/tfjs-core";
import { ArgumentError } from "../errors.js";
import { namedParameters } from "../nn/module.js";
import { withTraining } from "../nn/mode.js";
import { subSeed } from "../nn/random.js";
import { BiasData } from "../tasks/bias-data.js";
import { progressSink } from "../train/progress.js";
import { withSubnetworks } from "./active.js";
import { disposeBatch, TrainingSet, type LabelledBatch } from "./batches.js";
import { Core } from "./core.js";
import { GatedDiff, MaskedDiff } from "./diff.js";
import { topFractionMasks } from "./fixmask.js";
import { Adversary } from "./heads.js";
import { group, LossLog, Stepper, stopPoint, yieldToEventLoop, type StepParam } from "./loop.js";
import { crossEntropy } from "./losses.js";
import { attributeConfig, type AttributeConfig, type AttributeOptions } from "./options.js";
import { reverseGradient } from "./reversal.js";
import { Subnetwork } from "./subnetwork.js";

/** The terms of a debiasing step: each attribute's adversary loss once, the L0 term when given. */
export function debiasObjective(task: tf.Scalar, adversaries: readonly tf.Scalar[], l0: tf.Scalar | null): tf.Scalar {
  return tf.tidy(() => {
    const terms = [task, ...adversaries, ...(l0 ? [l0] : [])];
    return (terms.length === 1 ? tf.clone(task) : tf.addN(terms)) as tf.Scalar; // []
  });
}

/** One subnetwork in training: its diffs by weight, its adversaries, its optimizer. */
class Plan {
  readonly diffs = new Map<string, GatedDiff | MaskedDiff>();
  readonly adversaries = new Map<string, Adversary>();
  stepper: Stepper | null = null;
  readonly log = new LossLog();
  /** the share of diff entries with z_eval * w != 0 when the gates gave way to the fixed mask */
  nonZeroAtMask = Number.NaN;

  constructor(
    readonly name: string,
    readonly attributes: string[],
  ) {}

  get gated(): boolean {
    return [...this.diffs.values()].some((d) => d instanceof GatedDiff);
  }

  params(c: AttributeConfig): Map<string, StepParam> {
    const out = new Map<string, StepParam>();
    for (const [w, d] of this.diffs) {
      for (const [n, v] of d.trainables()) out.set(`${w}.${n}`, { variable: v, lr: n === "log_alpha" ? c.alphaLr : c.lr, weightDecay: 0 });
    }
    for (const [a, adv] of this.adversaries)
      for (const [n, p] of group(namedParameters(adv), c.adversaryLr, 0)) out.set(`adversary.${a}.${n}`, p);
    return out;
  }

  dispose(): void {
    this.stepper?.dispose();
    for (const adv of this.adversaries.values()) for (const v of namedParameters(adv).values()) v.dispose();
  }
}

/** Replace the gated diffs by masked ones: the global top `sparsity` share of |z_eval * w| (fixmask.ts). */
function toFixedMask(core: Core, plan: Plan, sparsity: number): void {
  const values = new Map([...plan.diffs].map(([w, d]) => [w, tf.tidy(() => (d as GatedDiff).deterministic().dataSync() as Float32Array)]));
  const masks = topFractionMasks(values, sparsity);
  let nonZero = 0;
  let total = 0;
  for (const v of values.values()) {
    total += v.length;
    for (let i = 0; i < v.length; i++) if (v[i] !== 0) nonZero++;
  }
  plan.nonZeroAtMask = nonZero / total;
  for (const [w, old] of plan.diffs) {
    const shape = old instanceof GatedDiff ? old.w.shape : old.d.shape;
    const piece = new MaskedDiff(tf.tensor(values.get(w)!, shape), tf.tensor(Float32Array.from(masks.get(w)!), shape));
    old.dispose();
    plan.diffs.set(w, piece);
    core.switchFor(w).pieces.set(plan.name, piece);
  }
}

function debiasLoss(core: Core, plan: Plan, b: LabelledBatch, c: AttributeConfig, parts: Record<string, number>): tf.Scalar {
  const h = core.pooled(b.batch, true); // [B, C]
  const task = crossEntropy(core.head.forward(h), b.labels); // []
  const reversed = reverseGradient(h, c.lambda); // [B, C]
  const adv = plan.attributes.map((a) => plan.adversaries.get(a)!.loss(reversed, b.groups.get(a)!)); // [] each
  let l0: tf.Scalar | null = null;
  if (plan.gated) {
    const gates = [...plan.diffs.values()].map((d) => (d as GatedDiff).l0());
    l0 = tf.mul(gates.length === 1 ? gates[0] : tf.addN(gates), c.l0Weight) as tf.Scalar; // []
    parts.l0 = l0.dataSync()[0];
  }
  parts.task = task.dataSync()[0];
  plan.attributes.forEach((a, i) => {
    parts[`adversary ${a}`] = adv[i].dataSync()[0];
  });
  return debiasObjective(task, adv, l0);
}

/** Every weight a subnetwork covers must be read through its parametrisation, or its diff would do nothing. */
function checkApplied(core: Core, weights: string[], before: Map<string, number>): void {
  const unread = weights.filter((w) => core.switchFor(w).applied === before.get(w));
  if (unread.length) {
    throw new Error(
      `diffprune.attribute: these weights are not read through sr.nn.parametrized by their modules, so a diff on them would change nothing: ${unread.join(", ")}. Leave them out with the params option`,
    );
  }
}

/**
 * Train one attribute-removal subnetwork per attribute (or one for all with `merged`) for `core`
 * on data's training split, and add it to the core. Returns the subnetwork (a list for a list).
 */
export async function attribute(core: Core, data: BiasData, opts: AttributeOptions): Promise<Subnetwork | Subnetwork[]> {
  const c = attributeConfig(opts);
  if (!(core instanceof Core)) throw new ArgumentError("core", core, "a Core (from sr.diffprune.task or Core.load)", "diffprune.attribute");
  if (!(data instanceof BiasData)) throw new ArgumentError("data", data, "a BiasData", "diffprune.attribute");
  for (const a of c.attributes) data.groups(a);
  const plans =
    c.merged || c.attributes.length === 1
      ? [new Plan(c.name ?? c.attributes.join("+"), c.attributes)]
      : c.attributes.map((a) => new Plan(a, [a]));
  for (const p of plans)
    if (core.subnetworks.has(p.name))
      throw new Error(`diffprune.attribute: the core already has a subnetwork "${p.name}"; core.remove("${p.name}") first`);
  const weights = core.diffParameterNames(c.params);
  const base = core.baseParameters();
  const C = core.model.config.dModel;
  for (const p of plans) {
    for (const w of weights) {
      const piece = new GatedDiff(base.get(w)!.shape, { alphaInit: c.alphaInit, seed: subSeed(c.seed, `${p.name}:${w}`) });
      p.diffs.set(w, piece);
      core.switchFor(w).pieces.set(p.name, piece);
    }
    for (const a of p.attributes)
      p.adversaries.set(
        a,
        new Adversary(C, data.groups(a).length, { heads: c.heads, dropout: c.dropout, seed: subSeed(c.seed, `${p.name}:adversary.${a}`) }),
      );
    p.stepper = new Stepper(p.params(c), c.clipNorm);
  }
  const coreParams = () =>
    new Map([
      ...group(
        [...core.baseParameters()].filter(([, v]) => v.trainable),
        c.coreLr,
        0,
      ),
      ...group(core.headParameters(), c.coreLr, 0),
    ]);
  let coreStepper = c.regime === "par" ? new Stepper(coreParams(), c.clipNorm) : null;
  const set = new TrainingSet(core, data.train, c.attributes);
  const perEpoch = Math.ceil(set.size / c.batchSize);
  const steps = (c.epochs + c.fixEpochs) * perEpoch;
  const sink = progressSink(`diffprune ${plans.map((p) => p.name).join(", ")} (${c.regime})`, steps, c.quiet);
  if (coreStepper) core.log ??= new LossLog();
  let step = 0;
  try {
    for (let epoch = 0; epoch < c.epochs + c.fixEpochs; epoch++) {
      if (epoch === c.epochs) {
        for (const p of plans) {
          toFixedMask(core, p, c.sparsity);
          p.stepper?.dispose();
          p.stepper = new Stepper(p.params(c), c.clipNorm); // a fresh optimizer for the masked entries
        }
        if (coreStepper) {
          coreStepper.dispose();
          coreStepper = new Stepper(coreParams(), c.clipNorm);
        }
      }
      for (const idx of set.epoch(c.batchSize, c.seed, epoch)) {
        stopPoint(`diffprune.attribute: step ${step + 1} of ${steps}`, c.signal);
        const b = set.batch(idx);
        const fields: Record<string, number> = {};
        if (coreStepper) {
          const loss = coreStepper.step(() =>
            withTraining(true, () =>
              withSubnetworks(core, [], "sum", () => crossEntropy(core.head.forward(core.pooled(b.batch, true)), b.labels)),
            ),
          );
          core.version++;
          core.log!.add({ "par: core task": loss });
          fields.core = loss;
        }
        for (const p of plans) {
          const before = step === 0 ? new Map(weights.map((w) => [w, core.switchFor(w).applied])) : null;
          const parts: Record<string, number> = {};
          const loss = p.stepper!.step(() =>
            withTraining(true, () => withSubnetworks(core, [p.name], "sum", () => debiasLoss(core, p, b, c, parts))),
          );
          if (before) checkApplied(core, weights, before);
          p.log.add({ loss, ...parts });
          fields[plans.length > 1 ? p.name : "loss"] = loss;
        }
        disposeBatch(b);
        step++;
        c.onProgress?.({ step, steps, losses: fields });
        sink.update(step, fields);
        await yieldToEventLoop();
      }
    }
    for (const p of plans) if (p.gated) toFixedMask(core, p, c.sparsity); // no fixed-mask epochs: the mask still applies
    sink.done();
  } catch (e) {
    for (const p of plans) core.remove(p.name);
    throw e;
  } finally {
    coreStepper?.dispose();
    for (const p of plans) p.dispose();
  }
  const hash = core.weightsHash();
  const out = plans.map((p) => {
    for (const d of p.diffs.values()) (d as MaskedDiff).finish();
    const s = new Subnetwork(
      { name: p.name, attributes: p.attributes, sparsity: c.sparsity, regime: c.regime, coreVersion: core.version, coreHash: hash },
      p.diffs as Map<string, MaskedDiff>,
    );
    s.log = p.log;
    s.nonZeroAtMask = p.nonZeroAtMask;
    core.add(s);
    return s;
  });
  return typeof opts.attribute === "string" || c.merged ? out[0] : out;
}
