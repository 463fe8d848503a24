// Task accuracy against leakage, one point per (model, attribute): the trade-off a debiasing method
// is judged by (up and to the left is better). A dashed rule per attribute marks chance, the
// majority-group rate; a grey dotted one the label-only rate, below which leakage goes only as
// task accuracy does.

import { Chart } from "../viz/chart.js";
import { VEGA_LITE_SCHEMA } from "../viz/mime.js";
import type { BiasReport } from "./bias.js";

export function tradeoffChart(reports: readonly BiasReport[], opts: { title?: string; width?: number; height?: number } = {}): Chart {
  const list: readonly BiasReport[] = Array.isArray(reports as unknown) ? reports : [];
  if (list.length === 0) throw new TypeError("eval.tradeoffChart: expects a non-empty list of bias reports");
  const points = list.flatMap((r) =>
    r.attributes.map((a) => ({ model: r.name, attribute: a.attribute, leakage: a.leakage.accuracy, "task accuracy": r.task.accuracy })),
  );
  const chance = [...new Map(list.flatMap((r) => r.attributes.map((a) => [a.attribute, a.leakage.majority] as const)))].map(
    ([attribute, majority]) => ({
      attribute,
      majority,
    }),
  );
  const floor = [...new Map(list.flatMap((r) => r.attributes.map((a) => [a.attribute, a.labelOnly] as const)))].map(
    ([attribute, labelOnly]) => ({ attribute, "label-only": labelOnly }),
  );
  const axis = (field: string, title: string) => ({ field, type: "quantitative", title, scale: { zero: false }, axis: { format: ".0%" } });
  return new Chart({
    $schema: VEGA_LITE_SCHEMA,
    title: opts.title ?? "task accuracy against leakage",
    width: opts.width ?? 420,
    height: opts.height ?? 260,
    layer: [
      {
        data: { values: chance },
        mark: { type: "rule", strokeDash: [4, 4] },
        encoding: {
          x: axis("majority", "leakage (attacker accuracy)"),
          strokeDash: { field: "attribute", type: "nominal", title: "chance" },
        },
      },
      {
        data: { values: points },
        mark: { type: "point", filled: true, size: 90, tooltip: true },
        encoding: {
          x: axis("leakage", "leakage (attacker accuracy)"),
          y: axis("task accuracy", "task accuracy"),
          color: { field: "model", type: "nominal", title: "model" },
          shape: { field: "attribute", type: "nominal", title: "attribute" },
        },
      },
      {
        data: { values: floor },
        mark: { type: "rule", strokeDash: [1, 3], color: "grey", tooltip: true },
        encoding: { x: axis("label-only", "leakage (attacker accuracy)") },
      },
    ],
  });
}
