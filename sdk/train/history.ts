// What fit returns: per-step loss and learning rate, throughput, and a loss chart (Vega-Lite v5)
// when shown in a notebook.

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

export function lossChart(loss: number[], title = "training loss"): Record<string, unknown> {
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title,
    width: 420,
    height: 220,
    data: { values: loss.map((l, i) => ({ step: i + 1, loss: l })) },
    mark: { type: "line", tooltip: true },
    encoding: {
      x: { field: "step", type: "quantitative", title: "step" },
      y: { field: "loss", type: "quantitative", title: "loss", scale: { zero: false } },
    },
  };
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

  [Symbol.for("Jupyter.display")](): Record<string, unknown> {
    return { "application/vnd.vegalite.v5+json": lossChart(this.loss), "text/plain": this.summary() };
  }
}
