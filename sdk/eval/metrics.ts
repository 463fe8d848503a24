// Classification metrics over label indices: accuracy, balanced accuracy (the mean per-class
// recall over the classes present, as scikit-learn computes it), the majority-class rate, and the
// group fairness gaps of the debiasing literature:
//
//   TPR_{y,g}  = share of examples of class y in group g that are predicted y
//   gap_y      = max_g TPR_{y,g} - min_g TPR_{y,g}     (|TPR_female - TPR_male| for two groups)
//   TPR-GAP    = mean_y gap_y;   TPR-RMS = sqrt(mean_y gap_y^2)
//
// over the classes y that have examples in at least two groups.
//
// And what the task label alone tells about a group (labelOnlyRate): when the groups follow the
// task labels, a representation good enough for the task gives that much away to any attacker.

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

/**
 * The accuracy of guessing each test example's group from its task label alone: the group most
 * frequent among the fitting examples with that label (ties to the smallest group; a label they
 * lack gets their overall most frequent group). A classifier that gets the task right lets an
 * attacker reach about this rate from its representation, so leakage cannot drop below it without
 * losing task accuracy; it equals the majority rate only when the groups do not follow the labels.
 */
export function labelOnlyRate(
  fit: { labels: ArrayLike<number>; groups: ArrayLike<number> },
  test: { labels: ArrayLike<number>; groups: ArrayLike<number> },
): number {
  same("labelOnlyRate (fit)", fit.groups, fit.labels);
  same("labelOnlyRate (test)", test.groups, test.labels);
  const counts = new Map<number, Map<number, number>>();
  const overall = new Map<number, number>();
  for (let i = 0; i < fit.labels.length; i++) {
    const byGroup = counts.get(fit.labels[i]) ?? new Map<number, number>();
    byGroup.set(fit.groups[i], (byGroup.get(fit.groups[i]) ?? 0) + 1);
    counts.set(fit.labels[i], byGroup);
    overall.set(fit.groups[i], (overall.get(fit.groups[i]) ?? 0) + 1);
  }
  const mode = (m: Map<number, number>) => {
    let best = -1;
    let bestCount = 0;
    for (const [g, n] of m) if (n > bestCount || (n === bestCount && g < best)) [best, bestCount] = [g, n];
    return best;
  };
  const fallback = mode(overall);
  const guess = new Map([...counts].map(([y, m]) => [y, mode(m)]));
  let hit = 0;
  for (let i = 0; i < test.labels.length; i++) if ((guess.get(test.labels[i]) ?? fallback) === test.groups[i]) hit++;
  return hit / test.labels.length;
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
