// Tolerance-corrected Win-and-Tie (METHODS.md section 1, "Lossless distillation"): over benchmarks
// b with student score A_S(b) and teacher score A_T(b), higher is better,
//
//     win_alpha(b) = 1 if A_S(b) >= (1 - alpha) A_T(b)        C_alpha = mean_b win_alpha(b)
//     alpha*       = inf { alpha >= 0 : C_alpha >= threshold }  (threshold 0.5: half the tasks)
//
// In closed form each benchmark is won from alpha_b on, and alpha* is the ceil(threshold |B|)-th
// smallest alpha_b:
//     A_T(b) > 0:   alpha_b = max(0, 1 - A_S(b) / A_T(b))     (above 1 when A_S(b) < 0)
//     A_T(b) <= 0:  alpha_b = 0 when A_S(b) >= A_T(b); else no alpha wins it (alpha_b = inf: the
//                   tolerance (1 - alpha) A_T(b) only grows with alpha)
// Lower-is-better scores (a loss, a perplexity), named in `lowerIsBetter`, are flipped: the student
// wins when A_S(b) <= (1 + alpha) A_T(b), so alpha_b = max(0, A_S(b) / A_T(b) - 1) for A_T(b) > 0,
// and for A_T(b) <= 0, 0 when A_S(b) <= A_T(b), else inf. Recovery is A_S / A_T (A_T / A_S when
// lower is better): 1 is the teacher's score, above 1 better; null where A_T <= 0 (no ratio).

import { ArgumentError } from "../errors.js";
import { Chart } from "../viz/chart.js";
import { DISPLAY, DISPLAY_PARTS, VEGA_LITE_SCHEMA, type MimeBundle } from "../viz/mime.js";
import { Table } from "../viz/table.js";
import { scoreRecord, type Scores } from "./scores.js";

export interface WinTieOptions {
  /** the fraction of tasks that must be won, in [0, 1] (default 0.5) */
  threshold?: number;
  /** tasks whose score is lower-is-better (see above); default none */
  lowerIsBetter?: string[];
}

export interface WinTieRow {
  task: string;
  teacher: number;
  student: number;
  /** A_S / A_T (flipped for lower-is-better); null where A_T <= 0 */
  recovery: number | null;
  /** the smallest tolerance at which the student wins this task (Infinity: none) */
  alpha: number;
  /** won without tolerance (alpha = 0) */
  win: boolean;
}

/**
 * alpha_b to 12 decimals. Scores are mostly ratios of counts, and 1 - 0.95 is 0.050000000000000044 in
 * floating point: unrounded, a student at 95% of the teacher would not count as won at alpha = 0.05,
 * although A_S >= (1 - 0.05) A_T holds, and "alpha* <= 0.05" would be false for alpha* = 0.05.
 */
const snap = (alpha: number) => Math.round(alpha * 1e12) / 1e12;

/** The tolerance from which the student wins one task. */
export function taskAlpha(student: number, teacher: number, lowerIsBetter = false): number {
  if (teacher <= 0) return (lowerIsBetter ? student <= teacher : student >= teacher) ? 0 : Number.POSITIVE_INFINITY;
  return snap(Math.max(0, lowerIsBetter ? student / teacher - 1 : 1 - student / teacher));
}

export class WinTieReport {
  readonly rows: readonly WinTieRow[];

  constructor(
    rows: WinTieRow[],
    readonly threshold: number,
  ) {
    this.rows = Object.freeze(rows);
  }

  get tasks(): string[] {
    return this.rows.map((r) => r.task);
  }

  /** C_alpha: the fraction of tasks won at tolerance alpha. */
  rate(alpha: number): number {
    if (typeof alpha !== "number" || Number.isNaN(alpha) || alpha < 0)
      throw new ArgumentError("alpha", alpha, "a number >= 0", "winTie.rate");
    return this.rows.filter((r) => r.alpha <= alpha).length / this.rows.length;
  }

  /** alpha*: the smallest tolerance at which C_alpha >= threshold (Infinity when none does). */
  get alphaStar(): number {
    const need = Math.ceil(this.threshold * this.rows.length - 1e-9);
    if (need <= 0) return 0;
    const sorted = this.rows.map((r) => r.alpha).sort((a, b) => a - b);
    return sorted[need - 1]!;
  }

  /** C_0 >= threshold: lossless at no tolerance. */
  get lossless(): boolean {
    return this.rate(0) >= this.threshold;
  }

  /** Per task, A_S / A_T (null where A_T <= 0). */
  get recovery(): Record<string, number | null> {
    return Object.fromEntries(this.rows.map((r) => [r.task, r.recovery]));
  }

  /** C_alpha against alpha, as points of a step curve from 0 to past the largest finite alpha_b. */
  curve(): { alpha: number; rate: number }[] {
    const finite = [...new Set(this.rows.map((r) => r.alpha).filter(Number.isFinite))].sort((a, b) => a - b);
    const end = Math.max(0.05, 1.2 * (finite[finite.length - 1] ?? 0));
    const xs = [0, ...finite.filter((a) => a > 0), end];
    return xs.map((alpha) => ({ alpha, rate: this.rate(alpha) }));
  }

  /** The C_alpha curve (a step line) with the threshold as a dashed rule. */
  chart(): Chart {
    const alphaStar = this.alphaStar;
    return new Chart({
      $schema: VEGA_LITE_SCHEMA,
      title: `Win-and-Tie: C_alpha against the tolerance alpha (alpha* = ${Number.isFinite(alphaStar) ? +alphaStar.toFixed(4) : "inf"})`,
      width: 420,
      height: 220,
      layer: [
        {
          data: { values: this.curve() },
          mark: { type: "line", interpolate: "step-after", point: true, tooltip: true },
          encoding: {
            x: { field: "alpha", type: "quantitative", title: "tolerance alpha" },
            y: { field: "rate", type: "quantitative", title: "C_alpha (tasks won)", scale: { domain: [0, 1] } },
          },
        },
        {
          data: { values: [{ threshold: this.threshold }] },
          mark: { type: "rule", strokeDash: [4, 4], color: "gray" },
          encoding: { y: { field: "threshold", type: "quantitative" } },
        },
      ],
    });
  }

  table(): Table {
    const pct = (x: number) => (Math.abs(x) <= 1.5 ? `${(100 * x).toFixed(1)}%` : String(+x.toPrecision(4)));
    return new Table(
      this.rows.map((r) => ({ ...r })),
      {
        format: {
          teacher: pct,
          student: pct,
          recovery: (x: number | null) => (x === null ? "-" : x.toFixed(3)),
          alpha: (x: number) => (Number.isFinite(x) ? x.toFixed(4) : "inf"),
          win: (x: boolean) => (x ? "yes" : "no"),
        },
      },
    );
  }

  summary(): string {
    const a = this.alphaStar;
    return `alpha* = ${Number.isFinite(a) ? +a.toFixed(4) : "inf"}, C_0 = ${this.rate(0).toFixed(3)}, ${this.lossless ? "lossless" : "not lossless"} (threshold ${this.threshold}, ${this.rows.length} tasks)`;
  }

  toJSON() {
    return { alphaStar: this.alphaStar, lossless: this.lossless, threshold: this.threshold, rows: this.rows };
  }

  toString(): string {
    return `${this.summary()}\n${this.table().toMarkdown()}`;
  }

  [DISPLAY](): MimeBundle {
    return { ...this.chart()[DISPLAY](), ...this.tableBundle() };
  }

  /** The summary and the table, then the chart of C_alpha: two outputs in Stillroom's kernel. */
  [DISPLAY_PARTS](): MimeBundle[] {
    return [this.tableBundle(), this.chart()[DISPLAY]()];
  }

  private tableBundle(): MimeBundle {
    const t = this.table()[DISPLAY]();
    return {
      "text/html": `<p><b>Win-and-Tie</b>: ${this.summary()}</p>${t["text/html"]}`,
      "text/markdown": `**Win-and-Tie**: ${this.summary()}\n\n${t["text/markdown"]}`,
      "text/plain": this.toString(),
    };
  }
}

/**
 * Win-and-Tie of a student against its teacher over the same tasks: score tables as
 * {task: score} (or sr.tasks' SuiteScore). Tables with different task names are an error naming the
 * difference.
 */
export function winTie(studentScores: Scores, teacherScores: Scores, opts: WinTieOptions = {}): WinTieReport {
  const w = "winTie";
  const student = scoreRecord(studentScores, "studentScores", w);
  const teacher = scoreRecord(teacherScores, "teacherScores", w);
  const threshold = opts.threshold ?? 0.5;
  if (typeof threshold !== "number" || !(threshold >= 0 && threshold <= 1))
    throw new ArgumentError("threshold", threshold, "a number in [0, 1]", w);
  const sNames = Object.keys(student);
  const tNames = Object.keys(teacher);
  const onlyS = sNames.filter((n) => !(n in teacher));
  const onlyT = tNames.filter((n) => !(n in student));
  if (onlyS.length || onlyT.length) {
    const parts = [
      onlyS.length ? `only the student has ${onlyS.join(", ")}` : "",
      onlyT.length ? `only the teacher has ${onlyT.join(", ")}` : "",
    ];
    throw new Error(`winTie: the score tables name different tasks: ${parts.filter(Boolean).join("; ")}`);
  }
  if (tNames.length === 0) throw new ArgumentError("teacherScores", teacherScores, "scores of at least one task", w);
  const lower = new Set(opts.lowerIsBetter ?? []);
  for (const n of lower)
    if (!(n in teacher)) throw new ArgumentError("lowerIsBetter", [...lower], `task names among ${tNames.join(", ")}`, w);
  const rows = tNames.map((task): WinTieRow => {
    const s = student[task]!;
    const t = teacher[task]!;
    const lo = lower.has(task);
    const alpha = taskAlpha(s, t, lo);
    return { task, teacher: t, student: s, recovery: t > 0 && !(lo && s <= 0) ? (lo ? t / s : s / t) : null, alpha, win: alpha === 0 };
  });
  return new WinTieReport(rows, threshold);
}
