// What fit returns: per-step loss and learning rate, throughput, and a loss chart (Vega-Lite v5)
// when shown in a notebook.

import { Chart, DISPLAY, line, type MimeBundle } from "../viz/index.js";

export interface HistoryData {
  loss: number[];
  lr: number[];
  /** mean tokens per second over the run's steps (this process) */
  tokensPerSecond: number;
  /** optimizer steps taken, including steps before a resume */
  steps: number;
  /** step the run resumed from (0 = fresh) */
  resumedFrom: number;
  elapsedMs: number;
  gradNorm: number[];
}

/** The loss per step as a Vega-Lite v5 line chart spec. */
export function lossChart(loss: number[], title = "training loss"): Record<string, unknown> {
  const values = loss.map((l, i) => ({ step: i + 1, loss: l }));
  // early steps' loss dwarfs the rest: a scale from zero would flatten the part worth seeing
  return line({ values, x: "step", y: "loss", title, zero: false }).spec;
}

export class History implements HistoryData {
  loss: number[] = [];
  lr: number[] = [];
  gradNorm: number[] = [];
  tokensPerSecond = 0;
  steps = 0;
  resumedFrom = 0;
  elapsedMs = 0;

  static from(d: Partial<HistoryData>): History {
    return Object.assign(new History(), d);
  }

  get finalLoss(): number {
    return this.loss[this.loss.length - 1] ?? NaN;
  }

  toJSON(): HistoryData {
    const { loss, lr, gradNorm, tokensPerSecond, steps, resumedFrom, elapsedMs } = this;
    return { loss, lr, gradNorm, tokensPerSecond, steps, resumedFrom, elapsedMs };
  }

  summary(): string {
    const first = this.loss[0];
    const tail = this.loss.slice(-Math.max(1, Math.floor(this.loss.length / 10)));
    const end = tail.reduce((a, b) => a + b, 0) / tail.length;
    return `History(${this.steps} steps, loss ${first?.toFixed(4)} -> ${end.toFixed(4)}, ${Math.round(this.tokensPerSecond)} tokens/s, ${(this.elapsedMs / 1000).toFixed(1)} s${this.resumedFrom ? `, resumed at step ${this.resumedFrom}` : ""})`;
  }

  toString(): string {
    return this.summary();
  }

  [DISPLAY](): MimeBundle {
    return { ...new Chart(lossChart(this.loss))[DISPLAY](), "text/plain": this.summary() };
  }
}
