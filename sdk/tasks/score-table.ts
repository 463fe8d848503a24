// A suite's scores: rows {task, accuracy, n} (arquero-friendly), shown as a table.

import * as aq from "arquero";
import { DISPLAY, Table, type MimeBundle } from "../viz/index.js";
import type { TaskScore } from "./task.js";

/** 0.015625 -> "1.6%": exact-match rates read as percentages. */
const percent = (x: number) => `${(100 * x).toFixed(1)}%`;

export class SuiteScore {
  constructor(readonly rows: TaskScore[]) {}

  get mean(): number {
    return this.rows.reduce((a, r) => a + r.accuracy, 0) / Math.max(1, this.rows.length);
  }

  get min(): number {
    return Math.min(...this.rows.map((r) => r.accuracy));
  }

  accuracy(task: string): number | undefined {
    return this.rows.find((r) => r.task === task)?.accuracy;
  }

  /** An arquero table of the rows. */
  table() {
    return aq.from(this.rows);
  }

  toJSON(): TaskScore[] {
    return this.rows;
  }

  toString(): string {
    return (
      this.rows.map((r) => `${r.task.padEnd(9)} ${percent(r.accuracy).padStart(6)}  (n=${r.n})`).join("\n") +
      `\nmean      ${percent(this.mean).padStart(6)}`
    );
  }

  [DISPLAY](): MimeBundle {
    return { ...new Table(this.table(), { format: { accuracy: percent } })[DISPLAY](), "text/plain": this.toString() };
  }
}
