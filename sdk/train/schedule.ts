// Learning-rate schedules: linear warmup from 0, then cosine or linear decay to minLr, or constant.

export const SCHEDULES = ["cosine", "linear", "constant"] as const;
export type Schedule = (typeof SCHEDULES)[number];

export interface ScheduleConfig {
  schedule: Schedule;
  /** peak learning rate */
  lr: number;
  /** the floor the decay ends at (default 0.1 * lr) */
  minLr: number;
  warmup: number;
  steps: number;
}

/** The learning rate of optimizer step `step` (0-based). */
export function lrAt(step: number, c: ScheduleConfig): number {
  if (c.warmup > 0 && step < c.warmup) return (c.lr * (step + 1)) / c.warmup;
  if (c.schedule === "constant") return c.lr;
  const span = Math.max(1, c.steps - c.warmup);
  const p = Math.min(1, (step - c.warmup) / span);
  const k = c.schedule === "cosine" ? 0.5 * (1 + Math.cos(Math.PI * p)) : 1 - p;
  return c.minLr + (c.lr - c.minLr) * k;
}
