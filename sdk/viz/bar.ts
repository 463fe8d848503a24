// Bar charts: counts per rank, scores per task. With `color`, bars of one x sit side by side
// (grouped, for comparing series) unless `stacked` asks for parts of a whole.

import { Chart } from "./chart.js";
import { checkOptions, colorChannel, inferType, unitSpec, yChannel, type Channel, type ChartOptions } from "./spec.js";

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
  const encoding: Record<string, Channel> = { x, y: yChannel(o) };
  const color = colorChannel(o);
  if (color) {
    encoding.color = color;
    if (!o.stacked) encoding.xOffset = { ...color };
  }
  return new Chart(unitSpec("bar", o, encoding));
}
