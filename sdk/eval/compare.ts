// Every model scored on every task (exact match on held-out examples, sr.tasks' scoring), as one
// table with a column per model; Win-and-Tie of any two follows from it.

import { ArgumentError } from "../errors.js";
import { Model } from "../models/model.js";
import { type ScoreOptions, Task } from "../tasks/task.js";
import { bar } from "../viz/bar.js";
import type { Chart } from "../viz/chart.js";
import { DISPLAY, DISPLAY_PARTS, type MimeBundle } from "../viz/mime.js";
import { Table } from "../viz/table.js";
import { throwIfCancelled } from "../runtime/cancel.js";
import { winTie, type WinTieOptions, type WinTieReport } from "./win-tie.js";

export type Tasks = Iterable<Task> | Task;

export class Comparison {
  constructor(
    readonly models: readonly string[],
    readonly tasks: readonly string[],
    /** model -> task -> accuracy */
    readonly scores: Readonly<Record<string, Readonly<Record<string, number>>>>,
  ) {}

  /** One model's scores, {task: accuracy}. */
  of(model: string): Record<string, number> {
    const s = this.scores[model];
    if (!s) throw new ArgumentError("model", model, `one of ${this.models.join(", ")}`, "Comparison.of");
    return { ...s };
  }

  /** Win-and-Tie of `student` against `teacher` (default the models named so). */
  winTie(student = "student", teacher = "teacher", opts: WinTieOptions = {}): WinTieReport {
    return winTie(this.of(student), this.of(teacher), opts);
  }

  /** Rows: one per task, a column per model, then the mean. */
  table(): Table {
    const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
    const mean = (m: string) => this.tasks.reduce((a, t) => a + this.scores[m]![t]!, 0) / this.tasks.length;
    const rows = [
      ...this.tasks.map((t) => ({ task: t, ...Object.fromEntries(this.models.map((m) => [m, this.scores[m]![t]!])) })),
      { task: "mean", ...Object.fromEntries(this.models.map((m) => [m, mean(m)])) },
    ];
    return new Table(rows, { format: Object.fromEntries(this.models.map((m) => [m, pct])) });
  }

  chart(): Chart {
    const values = this.tasks.flatMap((task) => this.models.map((model) => ({ task, model, accuracy: this.scores[model]![task]! })));
    return bar({ values, x: "task", y: "accuracy", color: "model", title: "exact match per task", yTitle: "exact match" });
  }

  toJSON() {
    return { models: this.models, tasks: this.tasks, scores: this.scores };
  }

  toString(): string {
    return this.table().toMarkdown();
  }

  [DISPLAY](): MimeBundle {
    return { ...this.chart()[DISPLAY](), ...this.table()[DISPLAY](), "text/plain": this.toString() };
  }

  /** The table, then the chart: two outputs in Stillroom's kernel. */
  [DISPLAY_PARTS](): MimeBundle[] {
    return [{ ...this.table()[DISPLAY](), "text/plain": this.toString() }, this.chart()[DISPLAY]()];
  }
}

/** Scores every model ({name: model}) on every task (a suite, tasks, or one task). */
export async function compare(models: Record<string, Model>, tasks: Tasks, opts: ScoreOptions = {}): Promise<Comparison> {
  const w = "compare";
  if (typeof models !== "object" || models === null || Object.keys(models).length === 0) {
    throw new ArgumentError("models", models, "{name: model, ...} with at least one model", w);
  }
  for (const [n, m] of Object.entries(models)) if (!(m instanceof Model)) throw new ArgumentError(`models.${n}`, m, "a model", w);
  const list = tasks instanceof Task ? [tasks] : tasks && Symbol.iterator in Object(tasks) ? [...(tasks as Iterable<Task>)] : [];
  list.forEach((t, i) => {
    if (!(t instanceof Task)) throw new ArgumentError(`tasks[${i}]`, t, "a task (sr.tasks.task, or a suite's tasks)", w);
  });
  if (list.length === 0) throw new ArgumentError("tasks", tasks, "a suite or a non-empty list of tasks", w);
  const names = list.map((t) => t.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new ArgumentError("tasks", names, `distinct task names (${dup} appears twice)`, w);
  const scores: Record<string, Record<string, number>> = {};
  for (const [name, model] of Object.entries(models)) {
    scores[name] = {};
    for (const t of list) {
      throwIfCancelled(`compare: ${name} on ${t.name}`);
      scores[name]![t.name] = (await t.score(model, opts)).accuracy;
    }
  }
  return new Comparison(Object.keys(models), names, scores);
}
