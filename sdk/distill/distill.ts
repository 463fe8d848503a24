// Stage II, end-to-end distillation with full fine-tuning: every parameter of the student trains
// on gamma * CE + beta * KL over the teacher's top-k (loss.ts), with AdamW (weight decay 0.1) and
// gradient clipping at 1 by default, the paper's settings. The stage's batches are drawn up front
// (steps of them; an array shorter than that is cycled, as fit cycles it) so that the teacher's
// targets can be computed once and cached (targets.ts).

import type { Model } from "../models/model.js";
import type { Batch, Data } from "../train/data.js";
import { fit } from "../train/fit.js";
import type { History } from "../train/history.js";
import { takeBatches } from "./batches.js";
import { throwIfCancelled } from "../runtime/cancel.js";
import { distillLoss } from "./loss.js";
import type { ResolvedExpert } from "./options.js";
import { teacherTargets, type BatchTargets } from "./targets.js";

type Indexed = Batch & { labels: number[][]; targetIndex: number };

export interface DistillRun {
  history: History;
  /** the cache file of the teacher's targets, and whether it was there already */
  targetsPath: string;
  targetsCached: boolean;
}

export async function distill(
  student: Model,
  teacher: Model,
  data: Data,
  o: ResolvedExpert,
  hooks: { label?: string; onTargets?: (n: number) => void; beforeTraining?: () => void } = {},
): Promise<DistillRun> {
  const label = hooks.label ?? "distill";
  const V = student.config.vocabSize;
  if (teacher.config.vocabSize !== V) throw new Error(`${label}: the teacher has ${teacher.config.vocabSize} tokens, the student ${V}`);
  const batches = (await takeBatches(data, o.steps, V, label)) as (Batch & { labels: number[][] })[];
  const k = Math.min(o.topK, V);
  let done = 0;
  const { targets, path, cached } = await teacherTargets(teacher, batches, k, {
    dir: o.cacheDir,
    tick: () => {
      throwIfCancelled(`${label}: teacher targets, batch ${++done} of ${batches.length}`);
      hooks.onTargets?.(1);
    },
  });
  hooks.beforeTraining?.();
  const indexed: Indexed[] = batches.map((b, i) => ({ ...b, targetIndex: i }));
  const lossOpts = { gamma: o.gamma, beta: o.beta, tail: o.tail };
  const history = await fit(
    student,
    (i: number) => indexed[i % indexed.length]!, // fit checks for an interrupt before each step
    {
      steps: o.steps,
      lr: o.lr,
      warmup: o.warmup,
      schedule: "cosine",
      weightDecay: o.weightDecay,
      clipNorm: o.clipNorm,
      params: [...student.parameters().keys()], // full fine-tuning, frozen parameters included
      loss: (m, batch) => {
        const t: BatchTargets = targets[(batch as unknown as Indexed).targetIndex]!;
        const logits = m.logits(batch.ids, batch.mask ? { attentionMask: batch.mask } : {}); // [B, T, V]
        const loss = distillLoss(logits, t, lossOpts);
        logits.dispose();
        return loss;
      },
      label,
    },
  );
  return { history, targetsPath: path, targetsCached: cached };
}
