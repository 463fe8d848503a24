// From collected activations to a LoRA initialisation (PEFT's rank redistribution and
// _load_eva_state_dict): each layer's rank from the global top-(r x layers) explained-variance
// ratios, lora_A = its top components (divided by sqrt(singular value) with whiten), lora_B = 0 so the
// model starts unchanged, and alpha scaled with the rank so alpha / r stays what it was (with
// rsLoRA the scaling alpha / sqrt(r) is then not kept constant). Rank 0 leaves a layer unwrapped.

import type { DataInit, LayerInit } from "../lora/config.js";
import { Table } from "../viz/table.js";
import type { Chart } from "../viz/chart.js";
import { DISPLAY, type MimeBundle } from "../viz/mime.js";
import type { EvaActivations } from "./activations.js";
import { distributeRanks } from "./allocate.js";
import { blockOf, type LayerRow, rankChart, varianceChart } from "./charts.js";
import { type InitConfig, type InitOptions, initConfig, maxComponents } from "./options.js";

const WHERE = "eva.init";

export interface EvaLayer extends LayerRow {
  inFeatures: number;
  alpha: number;
  /** share of the input variance the assigned components explain */
  explained: number;
}

export class EvaInit implements DataInit {
  readonly method = "eva";
  readonly r: number;
  readonly alpha: number;
  readonly rho: number;
  readonly whiten: boolean;
  readonly adjustScalingFactors: boolean;
  /** by module path: rank, alpha and lora_A, as lora.attach reads them */
  readonly layers: ReadonlyMap<string, LayerInit>;
  /** eva_config for adapter_config.json */
  readonly peftConfig: Record<string, unknown>;

  constructor(
    c: InitConfig,
    acts: EvaActivations,
    /** one row per layer, in the model's order */
    readonly rows: readonly EvaLayer[],
    layers: Map<string, LayerInit>,
    readonly warnings: string[],
  ) {
    this.r = c.r;
    this.alpha = c.alpha;
    this.rho = c.rho;
    this.whiten = c.whiten;
    this.adjustScalingFactors = c.adjustScalingFactors;
    this.layers = layers;
    this.peftConfig = {
      eva_config: {
        adjust_scaling_factors: c.adjustScalingFactors,
        label_mask_value: acts.labelIgnoreIndex,
        rho: c.rho,
        tau: acts.tau,
        use_label_mask: acts.useLabelMask,
        whiten: c.whiten,
      },
    };
  }

  /** Rank given per layer. */
  get ranks(): Record<string, number> {
    return Object.fromEntries(this.rows.map((r) => [r.path, r.rank]));
  }

  /** The rank per layer as a Vega-Lite bar chart, grouped by decoder block, coloured by projection type. */
  rankChart(): Chart {
    return rankChart(this.rows);
  }

  /** Cumulative explained variance of each layer's leading components, a point at its rank. */
  varianceChart(): Chart {
    return varianceChart(this.rows);
  }

  table(): Table {
    return new Table(
      this.rows.map((r) => ({
        layer: r.path,
        block: r.block,
        projection: r.projection,
        rank: r.rank,
        alpha: r.alpha,
        "variance explained": r.explained,
      })),
      {
        format: { "variance explained": (v: number) => `${(100 * v).toFixed(1)}%`, alpha: (a: number) => String(Number(a.toPrecision(4))) },
      },
    );
  }

  summary(): string {
    const total = this.rows.reduce((n, r) => n + r.rank, 0);
    const removed = this.rows.filter((r) => r.rank === 0).length;
    return (
      `EVA init: ${this.rows.length} layers, rank budget ${total} (r ${this.r} x ${this.rows.length}), rho ${this.rho}, alpha ${this.alpha}` +
      `${this.adjustScalingFactors ? " scaled with rank" : ""}${this.whiten ? ", whitened" : ""}` +
      `${removed ? `; ${removed} layer${removed > 1 ? "s" : ""} at rank 0 stay${removed > 1 ? "" : "s"} unwrapped` : ""}`
    );
  }

  toString(): string {
    return `${this.summary()}\n\n${this.table().toMarkdown()}`;
  }

  [DISPLAY](): MimeBundle {
    const t = this.table();
    const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
    return {
      "text/plain": this.toString(),
      "text/markdown": `${this.summary()}\n\n${t.toMarkdown()}`,
      "text/html": `<p>${esc(this.summary())}</p>${t.toHTML()}`,
    };
  }
}

/**
 * Ranks and lora_A per layer from collected activations; `sr.lora.attach(model, {init})` applies
 * it. r and rho default to collect's; round(r * rho) may not exceed the components collect kept.
 */
export function init(acts: EvaActivations, options: InitOptions = {}): EvaInit {
  if (!acts || !(acts.layers instanceof Map))
    throw new Error(`${WHERE}: expected the result of await sr.eva.collect(model, batches, options)`);
  const c = initConfig(options, acts);
  const paths = acts.paths;
  const sharedWith = new Map<string, string>();
  const ratios: Record<string, Float64Array> = {};
  for (const p of paths) {
    const l = acts.layers.get(p)!;
    const k = maxComponents(WHERE, p, l.inFeatures, c.r, c.rho);
    if (k > l.components.length) {
      throw new Error(
        `${WHERE}: r * rho = ${c.r} * ${c.rho} asks for ${k} components of ${p}; collect kept ${l.components.length} (collect with r * rho >= ${k})`,
      );
    }
    ratios[p] = l.explainedVarianceRatio.slice(0, k);
    if (l.sharesInputWith) sharedWith.set(p, l.sharesInputWith);
  }
  const ranks = distributeRanks(ratios, c.r * paths.length, sharedWith);
  const warnings: string[] = [];
  const rows: EvaLayer[] = [];
  const layers = new Map<string, LayerInit>();
  for (const p of paths) {
    const l = acts.layers.get(p)!;
    const rank = ranks[p];
    if (l.converged && !l.componentConverged.slice(0, rank).every(Boolean)) {
      warnings.push(`${p} gets rank ${rank}, but not all of its first ${rank} components converged in collect (tau ${acts.tau})`);
    }
    const alpha = c.adjustScalingFactors && rank !== c.r ? (c.alpha * rank) / c.r : c.alpha;
    let A: Float32Array | null = null;
    if (rank > 0) {
      A = new Float32Array(rank * l.inFeatures);
      for (let j = 0; j < rank; j++) {
        const scale = c.whiten ? 1 / Math.sqrt(l.singularValues[j]) : 1;
        for (let f = 0; f < l.inFeatures; f++) A[j * l.inFeatures + f] = l.components[j][f] * scale;
      }
    }
    layers.set(p, { rank, alpha, A });
    rows.push({
      path: p,
      ...blockOf(p),
      rank,
      ratios: ratios[p],
      inFeatures: l.inFeatures,
      alpha,
      explained: ratios[p].slice(0, rank).reduce((a, b) => a + b, 0),
    });
  }
  for (const w of warnings) console.warn(`${WHERE}: ${w}`);
  return new EvaInit(c, acts, rows, layers, warnings);
}
