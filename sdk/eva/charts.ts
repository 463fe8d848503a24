// EVA's two figures: the rank each layer receives (bars grouped by decoder block, one colour per
// projection type) and how much of each layer's input variance its leading components explain
// (cumulative, one line per layer, a point at the rank it receives).

import { bar } from "../viz/bar.js";
import { Chart } from "../viz/chart.js";
import { VEGA_LITE_SCHEMA } from "../viz/mime.js";

export interface LayerRow {
  path: string;
  /** the decoder block ("0", "1", ...), or "-" outside the blocks (lm_head) */
  block: string;
  /** the projection type: the path's last name (q_proj, down_proj, lm_head) */
  projection: string;
  rank: number;
  /** explained-variance ratios of the components the rank could draw from */
  ratios: Float64Array;
}

/** Block and projection of a module path: "model.layers.3.mlp.up_proj" -> ("3", "up_proj"). */
export function blockOf(path: string): { block: string; projection: string } {
  const m = /(?:^|\.)layers\.(\d+)\./.exec(path);
  return { block: m ? m[1] : "-", projection: path.slice(path.lastIndexOf(".") + 1) };
}

export function rankChart(rows: readonly LayerRow[], title = "EVA rank per layer"): Chart {
  return bar({
    values: rows.map((r) => ({ block: r.block, projection: r.projection, rank: r.rank })),
    x: "block",
    y: "rank",
    color: "projection",
    xType: "ordinal",
    xTitle: "decoder block",
    title,
  });
}

export function varianceChart(rows: readonly LayerRow[], title = "explained variance of the leading components"): Chart {
  const values = rows.flatMap((r) => {
    let sum = 0;
    return Array.from(r.ratios, (v, j) => {
      sum += v;
      return { layer: r.path.replace(/^model\.layers\./, ""), component: j + 1, cumulative: sum, rank: r.rank, atRank: j + 1 === r.rank };
    });
  });
  return new Chart({
    $schema: VEGA_LITE_SCHEMA,
    title,
    width: 420,
    height: 240,
    data: { values },
    encoding: {
      x: { field: "component", type: "quantitative", title: "components" },
      y: { field: "cumulative", type: "quantitative", title: "cumulative explained variance ratio", scale: { domain: [0, 1] } },
      color: { field: "layer", type: "nominal", title: "layer", sort: null },
    },
    layer: [
      { mark: { type: "line", tooltip: true } },
      { transform: [{ filter: "datum.atRank" }], mark: { type: "point", filled: true, size: 50, tooltip: true } },
    ],
  });
}
