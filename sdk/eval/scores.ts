// Score tables as the evaluators take them: {task: score}, or what sr.tasks scores return
// (a SuiteScore, or rows {task, accuracy}). Every score a finite number.

import { ArgumentError } from "../errors.js";

export type ScoreRow = { task: string; accuracy: number };
export type Scores = Record<string, number> | { rows: readonly ScoreRow[] } | readonly ScoreRow[];

export function scoreRecord(x: Scores, field: string, where: string): Record<string, number> {
  if (typeof x !== "object" || x === null) throw new ArgumentError(field, x, "scores {task: score} or a suite's score table", where);
  const rows = Array.isArray(x) ? x : "rows" in x && Array.isArray((x as { rows: unknown }).rows) ? (x as { rows: ScoreRow[] }).rows : null;
  const out: Record<string, number> = {};
  if (rows) {
    rows.forEach((r, i) => {
      if (typeof r?.task !== "string") throw new ArgumentError(`${field}.rows[${i}].task`, r?.task, "a task name", where);
      out[r.task] = r.accuracy;
    });
  } else Object.assign(out, x);
  for (const [task, v] of Object.entries(out)) {
    if (typeof v !== "number" || !Number.isFinite(v)) throw new ArgumentError(`${field}.${task}`, v, "a finite number", where);
  }
  return out;
}
