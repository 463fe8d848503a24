// How a model shows itself in a notebook: family, size (trainable and total), layers and their
// types, mode, and what methods have changed (wrapped modules, parametrised weights).

import { kindOf } from "../nn/module.js";
import { parametrizations } from "../nn/parametrize.js";
import type { Model } from "./model.js";

export function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}K`;
  return String(n);
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** "full_attention x 2, mlstm_hybrid x 6" in layer order of first appearance. */
function layerTypeSummary(types: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const t of types) counts.set(t, (counts.get(t) ?? 0) + 1);
  return [...counts].map(([t, n]) => `${t} x ${n}`).join(", ");
}

export function modelDisplay(m: Model): Record<string, string> {
  const c = m.config;
  const total = m.numParams();
  const trainable = m.numParams("trainable");
  const params = `${formatCount(total)} params${trainable === total ? "" : ` (${formatCount(trainable)} trainable)`}`;
  const parametrised = [...parametrizations(m).values()];
  const rows: [string, string][] = [
    ["family", c.family],
    [
      "parameters",
      trainable === total ? `${formatCount(total)}, all trainable` : `${formatCount(total)}, ${formatCount(trainable)} trainable`,
    ],
    ["layers", `${c.nLayers} (${layerTypeSummary(c.layerTypes)})`],
    ["d_model / d_ff", `${c.dModel} / ${c.dFf}`],
    ["heads (q / kv) x dim", `${c.nHeads} / ${c.nKvHeads} x ${c.headDim}`],
    ["vocab", String(c.vocabSize)],
    ["rope", `theta ${c.ropeTheta}${c.ropeScaling ? `, llama3 x${c.ropeScaling.factor}` : ""}`],
    ["tied embeddings", String(c.tieEmbeddings)],
    ["mode", m.training ? "training" : "evaluation"],
    ["tokenizer", m.tokenizer ? "yes" : "none"],
  ];
  if (parametrised.length) {
    const kinds = new Map<string, number>();
    for (const p of new Set(parametrised)) kinds.set(kindOf(p), (kinds.get(kindOf(p)) ?? 0) + 1);
    rows.push(["parametrised weights", [...kinds].map(([k, n]) => `${n} ${k}`).join(", ")]);
  }
  const plain = `Model(${c.family}, ${params}, ${c.nLayers} layers, d=${c.dModel}, heads ${c.nHeads}/${c.nKvHeads}, vocab ${c.vocabSize})`;
  const html =
    `<table><caption style="text-align:left"><b>${esc(c.family)}</b> causal LM</caption>` +
    rows.map(([k, v]) => `<tr><th style="text-align:left">${esc(k)}</th><td style="text-align:left">${esc(v)}</td></tr>`).join("") +
    `</table>`;
  return { "text/plain": plain, "text/html": html };
}
