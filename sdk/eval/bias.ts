// sr.eval.bias: what a classifier does for the task and what its representation gives away about
// protected attributes, on a BiasData's test split:
//   task accuracy and balanced accuracy;
//   leakage per attribute: a fresh post-hoc attacker trained on the frozen train representations,
//     its epoch chosen on val, scored on test (leakage.ts), beside the majority-group rate (chance)
//     and the label-only rate (the group guessed from the true task label: the floor leakage meets
//     when the groups follow the labels and the model gets the task right);
//   TPR-GAP and TPR-RMS of the task predictions across the attribute's groups (metrics.ts).
// The model is anything that maps examples to representations and representations to task
// logits: a DiffPrune core, or a core with subnetworks switched on.

import * as tf from "@tensorflow/tfjs-core";
import { ArgumentError } from "../errors.js";
import { BiasData, type BiasExample } from "../tasks/bias-data.js";
import { DISPLAY, type MimeBundle } from "../viz/mime.js";
import { Table } from "../viz/table.js";
import { leakage, type AttackerOptions, type Leakage } from "./leakage.js";
import { accuracy, balancedAccuracy, labelOnlyRate, majorityRate, tprGaps } from "./metrics.js";

export interface BiasModel {
  /** representations [N, C] of the examples, in evaluation mode */
  represent(examples: readonly BiasExample[]): tf.Tensor2D;
  /** task logits [N, L] from representations [N, C] */
  classify(h: tf.Tensor2D): tf.Tensor2D;
}

export interface BiasOptions {
  /** the protected attribute(s) to measure */
  attribute: string | string[];
  /** the post-hoc attacker (defaults: the reference's, see leakage.ts) */
  attacker?: AttackerOptions;
  /** a name for the report's rows (default "model") */
  name?: string;
  /** no terminal progress bars */
  quiet?: boolean;
}

export interface AttributeBias {
  attribute: string;
  groups: readonly string[];
  leakage: Leakage;
  /** test accuracy of guessing the group from the true task label alone (metrics.ts labelOnlyRate) */
  labelOnly: number;
  /** TPR gaps of the task predictions across this attribute's groups */
  tprGap: number;
  tprRms: number;
}

export class BiasReport {
  constructor(
    readonly name: string,
    readonly task: { accuracy: number; balancedAccuracy: number; majority: number; n: number },
    readonly attributes: AttributeBias[],
  ) {}

  /** One row per attribute, as the table shows it (shares in [0, 1]). */
  rows(): Record<string, string | number>[] {
    return this.attributes.map((a) => ({
      model: this.name,
      attribute: a.attribute,
      "task acc": this.task.accuracy,
      "task bacc": this.task.balancedAccuracy,
      leakage: a.leakage.accuracy,
      "leakage bacc": a.leakage.balancedAccuracy,
      "majority rate": a.leakage.majority,
      "label-only rate": a.labelOnly,
      "TPR-GAP": a.tprGap,
      "TPR-RMS": a.tprRms,
    }));
  }

  /** The attribute's result; an unknown name is an error listing the measured ones. */
  get(attribute: string): AttributeBias {
    const a = this.attributes.find((x) => x.attribute === attribute);
    if (!a)
      throw new ArgumentError("attribute", attribute, `one of ${this.attributes.map((x) => x.attribute).join(", ")}`, "BiasReport.get");
    return a;
  }

  table(): Table {
    const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
    const gap = (x: number) => x.toFixed(3);
    const cols = ["task acc", "task bacc", "leakage", "leakage bacc", "majority rate", "label-only rate"];
    return new Table(this.rows(), { format: { ...Object.fromEntries(cols.map((k) => [k, pct])), "TPR-GAP": gap, "TPR-RMS": gap } });
  }

  toString(): string {
    return this.table().toMarkdown();
  }

  [DISPLAY](): MimeBundle {
    return this.table()[DISPLAY]();
  }
}

/** Measure `model` on data's test split for the given attribute(s). */
export async function bias(model: BiasModel, data: BiasData, opts: BiasOptions): Promise<BiasReport> {
  if (!model || typeof model.represent !== "function" || typeof model.classify !== "function") {
    throw new ArgumentError(
      "model",
      model,
      "a model with represent(examples) and classify(h) (a DiffPrune core or core.with(...))",
      "eval.bias",
    );
  }
  if (!(data instanceof BiasData)) throw new ArgumentError("data", data, "a BiasData", "eval.bias");
  const names = typeof opts?.attribute === "string" ? [opts.attribute] : opts?.attribute;
  if (!Array.isArray(names) || names.length === 0)
    throw new ArgumentError("attribute", opts?.attribute, "an attribute name or a list of names", "eval.bias");
  for (const a of names) data.groups(a);
  if (data.val.length === 0 || data.test.length === 0)
    throw new Error(`eval.bias: ${data.name} needs val and test examples (it has ${data.val.length} and ${data.test.length})`);
  const name = opts.name ?? "model";
  const h = { train: model.represent(data.train), val: model.represent(data.val), test: model.represent(data.test) };
  try {
    const pred = tf.tidy(() => tf.argMax(model.classify(h.test), 1).dataSync() as Int32Array);
    const truth = data.test.map((e) => e.label);
    const task = {
      accuracy: accuracy(pred, truth),
      balancedAccuracy: balancedAccuracy(pred, truth),
      majority: majorityRate(truth),
      n: truth.length,
    };
    const attributes: AttributeBias[] = [];
    for (const a of names) {
      const ys = (xs: readonly BiasExample[]) => xs.map((e) => e.attributes[a]);
      const groups = data.groups(a);
      const leak = await leakage(
        { h: h.train, y: ys(data.train) },
        { h: h.val, y: ys(data.val) },
        { h: h.test, y: ys(data.test) },
        groups.length,
        { quiet: opts.quiet, ...opts.attacker },
        `leakage ${a} (${name})`,
      );
      const gaps = tprGaps(pred, truth, ys(data.test));
      const labelOnly = labelOnlyRate(
        { labels: data.train.map((e) => e.label), groups: ys(data.train) },
        { labels: truth, groups: ys(data.test) },
      );
      attributes.push({ attribute: a, groups, leakage: leak, labelOnly, tprGap: gaps.gap, tprRms: gaps.rms });
    }
    return new BiasReport(name, task, attributes);
  } finally {
    tf.dispose([h.train, h.val, h.test]);
  }
}
