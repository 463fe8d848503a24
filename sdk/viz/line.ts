// Line charts: training curves, one series per value of `color` (runs, layers, methods).

import { Chart } from "./chart.js";
import { checkOptions, colorChannel, inferType, unitSpec, yChannel, type Channel, type ChartOptions } from "./spec.js";

export type LineOptions = ChartOptions;

export function line(o: LineOptions): Chart {
  checkOptions("viz.line", o);
  // numbers on x are a continuous axis (steps); strings keep their order as categories
  const inferred = inferType(o.values, o.x, "quantitative");
  const xType = o.xType ?? (inferred === "nominal" ? "ordinal" : inferred);
  const encoding: Record<string, Channel> = { x: { field: o.x, type: xType, title: o.xTitle ?? o.x }, y: yChannel(o) };
  const color = colorChannel(o);
  if (color) encoding.color = color;
  return new Chart(unitSpec("line", o, encoding));
}
