// What collect() returns: per target layer, the principal directions of its inputs, their singular
// values and explained-variance ratios, whether they converged, and how much data they saw. It
// displays itself as a table; sr.eva.init turns it into ranks and lora_A.

import { Table } from "../viz/table.js";
import { DISPLAY, type MimeBundle } from "../viz/mime.js";

export interface LayerActivations {
  /** module path ("model.layers.0.self_attn.q_proj") */
  path: string;
  inFeatures: number;
  /** components kept: round(r * rho) (the group's largest for layers sharing an input) */
  maxComponents: number;
  /** [k][inFeatures] principal directions, strongest first */
  components: Float64Array[];
  /** [k] singular values of the centred inputs seen */
  singularValues: Float64Array;
  /** [k] share of the input variance along each component */
  explainedVarianceRatio: Float64Array;
  /** [k] whether component j's cosine with the previous batch's reached tau at the last update */
  componentConverged: boolean[];
  /** whether every component within the layer's final rank converged */
  converged: boolean;
  /** batches that updated this layer's PCA */
  batches: number;
  /** tokens seen (rows fed to the PCA) */
  tokens: number;
  /** the layer whose identical input was analysed for this one (q_proj for k_proj and v_proj), or null */
  sharesInputWith: string | null;
  /** the rank collect's last redistribution gave it */
  rank: number;
}

export interface CollectSummary {
  r: number;
  rho: number;
  tau: number;
  maxIters: number;
  useLabelMask: boolean;
  labelIgnoreIndex: number;
  /** forward passes run */
  iterations: number;
  elapsedMs: number;
  /** what went wrong but did not stop collection (layers not converged, data exhausted) */
  warnings: string[];
}

export class EvaActivations implements CollectSummary {
  readonly r: number;
  readonly rho: number;
  readonly tau: number;
  readonly maxIters: number;
  readonly useLabelMask: boolean;
  readonly labelIgnoreIndex: number;
  readonly iterations: number;
  readonly elapsedMs: number;
  readonly warnings: string[];

  constructor(
    /** by module path, in the model's order */
    readonly layers: ReadonlyMap<string, LayerActivations>,
    s: CollectSummary,
  ) {
    this.r = s.r;
    this.rho = s.rho;
    this.tau = s.tau;
    this.maxIters = s.maxIters;
    this.useLabelMask = s.useLabelMask;
    this.labelIgnoreIndex = s.labelIgnoreIndex;
    this.iterations = s.iterations;
    this.elapsedMs = s.elapsedMs;
    this.warnings = s.warnings;
  }

  /** Layer paths in the model's order. */
  get paths(): string[] {
    return [...this.layers.keys()];
  }

  /** Whether every layer converged within its rank. */
  get converged(): boolean {
    return [...this.layers.values()].every((l) => l.converged);
  }

  table(): Table {
    return new Table(
      [...this.layers.values()].map((l) => ({
        layer: l.path,
        in: l.inFeatures,
        components: l.maxComponents,
        tokens: l.tokens,
        batches: l.batches,
        converged: l.converged ? "yes" : "no",
        "input of": l.sharesInputWith ?? "",
        rank: l.rank,
        "variance in rank": l.explainedVarianceRatio.slice(0, l.rank).reduce((a, b) => a + b, 0),
      })),
      { format: { "variance in rank": (v: number) => `${(100 * v).toFixed(1)}%` } },
    );
  }

  summary(): string {
    const n = this.layers.size;
    const done = [...this.layers.values()].filter((l) => l.converged).length;
    return `EVA activations: ${n} layers, ${done} converged (tau ${this.tau}) in ${this.iterations} batches, ${(this.elapsedMs / 1000).toFixed(2)} s; r ${this.r}, rho ${this.rho}`;
  }

  toString(): string {
    return [this.summary(), ...this.warnings.map((w) => `warning: ${w}`)].join("\n");
  }

  [DISPLAY](): MimeBundle {
    const t = this.table();
    const warn = this.warnings.map((w) => `**warning:** ${w}`);
    const md = [this.summary(), ...warn, t.toMarkdown()].join("\n\n");
    const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
    return {
      "text/plain": [this.toString(), t.toMarkdown()].join("\n\n"),
      "text/markdown": md,
      "text/html": `<p>${esc(this.summary())}</p>${this.warnings.map((w) => `<p><b>warning:</b> ${esc(w)}</p>`).join("")}${t.toHTML()}`,
    };
  }
}
