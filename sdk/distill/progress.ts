// One live progress display for a whole plan: every stage's steps advance one bar (the kernel's,
// or a terminal bar), with the stage's name and loss beside it. sr.train.fit opens a bar of its own
// for each run; while a stage runs, the progress hook that fit reads is pointed at this bar.

import { PROGRESS_HOOK, progressSink, type ProgressFactory, type ProgressSink } from "../train/progress.js";

/** What a stage's own loops report: a step done, or the stage's position set (in its own steps). */
export interface StageProgress {
  tick(fields?: Record<string, unknown>): void;
  moveTo(step: number): void;
}

export class PlanProgress {
  private done = 0;
  private readonly sink: ProgressSink;

  constructor(label: string, total: number, quiet = false) {
    this.sink = progressSink(label, total, quiet);
    this.sink.update(0, {});
  }

  /**
   * Runs `fn` as stage `name`, which covers `steps` steps of the bar: the bars fit opens meanwhile
   * draw into this one from wherever the stage has got to, and `fn` may advance it itself.
   */
  async stage<T>(name: string, steps: number, fn: (p: StageProgress) => Promise<T>): Promise<T> {
    const start = this.done;
    const g = globalThis as Record<symbol, unknown>;
    const had = PROGRESS_HOOK in g;
    const outer = g[PROGRESS_HOOK];
    const into: ProgressFactory = () => {
      const base = this.done;
      return {
        update: (value, fields) => this.sink.update(base + value, { stage: name, ...fields }),
        done() {},
      };
    };
    const own: StageProgress = {
      tick: (fields = {}) => this.sink.update(++this.done, { stage: name, ...fields }),
      moveTo: (step) => {
        this.done = start + step;
        this.sink.update(this.done, { stage: name });
      },
    };
    g[PROGRESS_HOOK] = into;
    try {
      return await fn(own);
    } finally {
      if (had) g[PROGRESS_HOOK] = outer;
      else delete g[PROGRESS_HOOK];
      this.done = start + steps;
      this.sink.update(this.done, { stage: name });
    }
  }

  finish(): void {
    this.sink.done();
  }
}
