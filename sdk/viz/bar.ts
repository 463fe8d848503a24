// Bar charts: counts per rank, scores per task. With `color`, bars of one x sit side by side
// (grouped, for comparing series) unless `stacked` asks for parts of a whole.

import { Chart } from "./chart.js";
import type { Row } from "./fields.js";
import { checkOptions, colorChannel, inferType, unitSpec, yChannel, WIDTH, type Channel, type ChartOptions } from "./spec.js";

export interface BarOptions extends ChartOptions {
  /** stack the color series instead of grouping them */
  stacked?: boolean;
}

export function bar(o: BarOptions): Chart {
  checkOptions("viz.bar", o);
  // a bar per distinct x: numbers (ranks) are ordered categories, not a continuous axis
  const xType = o.xType ?? inferType(o.values, o.x, "ordinal");
  const x: Channel = { field: o.x, type: xType, title: o.xTitle ?? o.x };
  // names (tasks, layers) keep the data's order rather than Vega-Lite's alphabetical one
  if (xType === "nominal") x.sort = null;
  if (xType !== "quantitative" && xType !== "temporal") x.axis = { labelAngle: labelAngle(o.values, o.x, o.width ?? WIDTH) };
  const encoding: Record<string, Channel> = { x, y: yChannel(o) };
  const color = colorChannel(o);
  if (color) {
    encoding.color = color;
    if (!o.stacked) encoding.xOffset = { ...color };
  }
  return new Chart(unitSpec("bar", o, encoding));
}

/** Axis labels are 10 px; a character of a sans-serif face at that size is about 6 px wide. */
const CHAR_PX = 6;

/**
 * Vega-Lite turns every label of a discrete x axis on its side. Short names (tasks, ranks,
 * layers) read better level, so labels stay level while the longest fits in its band, and go
 * diagonal, not vertical, when it does not.
 */
export function labelAngle(values: readonly Row[], field: string, width: number): number {
  const labels = new Set(values.map((r) => String((r as Record<string, unknown>)[field])));
  const longest = Math.max(0, ...[...labels].map((l) => l.length));
  return longest * CHAR_PX <= width / Math.max(1, labels.size) ? 0 : -45;
}
