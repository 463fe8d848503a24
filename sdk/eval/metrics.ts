// Classification metrics over label indices: accuracy, balanced accuracy (the mean per-class
// recall over the classes present, as scikit-learn computes it), the majority-class rate, and the
// group fairness gaps of the debiasing literature:
//
//   TPR_{y,g}  = share of examples of class y in group g that are predicted y
//   gap_y      = max_g TPR_{y,g} - min_g TPR_{y,g}     (|TPR_female - TPR_male| for two groups)
//   TPR-GAP    = mean_y gap_y;   TPR-RMS = sqrt(mean_y gap_y^2)
//
// over the classes y that have examples in at least two groups.

import { ArgumentError } from "../errors.js";

function same(where: string, a: ArrayLike<number>, b: ArrayLike<number>): void {
  if (a.length !== b.length) throw new ArgumentError("predictions", `${a.length} values`, `as many as the labels (${b.length})`, where);
  if (a.length === 0) throw new ArgumentError("labels", "[]", "at least one example", where);
}

export function accuracy(pred: ArrayLike<number>, truth: ArrayLike<number>): number {
  same("accuracy", pred, truth);
  let hit = 0;
  for (let i = 0; i < truth.length; i++) if (pred[i] === truth[i]) hit++;
  return hit / truth.length;
}

export function balancedAccuracy(pred: ArrayLike<number>, truth: ArrayLike<number>): number {
  same("balancedAccuracy", pred, truth);
  const n = new Map<number, number>();
  const hit = new Map<number, number>();
  for (let i = 0; i < truth.length; i++) {
    n.set(truth[i], (n.get(truth[i]) ?? 0) + 1);
    if (pred[i] === truth[i]) hit.set(truth[i], (hit.get(truth[i]) ?? 0) + 1);
  }
  let sum = 0;
  for (const [c, count] of n) sum += (hit.get(c) ?? 0) / count;
  return sum / n.size;
}

/** The share of the most frequent label: what always guessing it scores. */
export function majorityRate(truth: ArrayLike<number>): number {
  if (truth.length === 0) throw new ArgumentError("labels", "[]", "at least one example", "majorityRate");
  const n = new Map<number, number>();
  for (let i = 0; i < truth.length; i++) n.set(truth[i], (n.get(truth[i]) ?? 0) + 1);
  return Math.max(...n.values()) / truth.length;
}

export interface TprGaps {
  /** per class with examples in two or more groups: its gap and each group's TPR */
  perClass: { label: number; gap: number; tpr: Map<number, number> }[];
  /** mean gap over those classes */
  gap: number;
  /** root mean square gap */
  rms: number;
}

export function tprGaps(pred: ArrayLike<number>, truth: ArrayLike<number>, group: ArrayLike<number>): TprGaps {
  same("tprGaps", pred, truth);
  if (group.length !== truth.length)
    throw new ArgumentError("groups", `${group.length} values`, `as many as the labels (${truth.length})`, "tprGaps");
  const n = new Map<string, number>();
  const hit = new Map<string, number>();
  const classes = new Set<number>();
  for (let i = 0; i < truth.length; i++) {
    const k = `${truth[i]}/${group[i]}`;
    classes.add(truth[i]);
    n.set(k, (n.get(k) ?? 0) + 1);
    if (pred[i] === truth[i]) hit.set(k, (hit.get(k) ?? 0) + 1);
  }
  const groups = [...new Set(Array.from(group))];
  const perClass: TprGaps["perClass"] = [];
  for (const y of [...classes].sort((a, b) => a - b)) {
    const tpr = new Map<number, number>();
    for (const g of groups) {
      const k = `${y}/${g}`;
      if (n.has(k)) tpr.set(g, (hit.get(k) ?? 0) / n.get(k)!);
    }
    if (tpr.size < 2) continue;
    const vs = [...tpr.values()];
    perClass.push({ label: y, gap: Math.max(...vs) - Math.min(...vs), tpr });
  }
  const gaps = perClass.map((c) => c.gap);
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN);
  return { perClass, gap: mean(gaps), rms: Math.sqrt(mean(gaps.map((g) => g * g))) };
}
