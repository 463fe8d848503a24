// How a model shows itself in a notebook: family, size, layers.

import type { Model } from "./model.js";

export function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}K`;
  return String(n);
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

export function modelDisplay(m: Model): Record<string, string> {
  const c = m.config;
  const params = formatCount(m.numParams());
  const rows: [string, string][] = [
    ["family", c.family],
    ["parameters", params],
    ["layers", String(c.nLayers)],
    ["d_model / d_ff", `${c.dModel} / ${c.dFf}`],
    ["heads (q / kv) x dim", `${c.nHeads} / ${c.nKvHeads} x ${c.headDim}`],
    ["vocab", String(c.vocabSize)],
    ["rope", `theta ${c.ropeTheta}${c.ropeScaling ? `, llama3 x${c.ropeScaling.factor}` : ""}`],
    ["tied embeddings", String(c.tieEmbeddings)],
    ["tokenizer", m.tokenizer ? "yes" : "none"],
  ];
  const plain = `Model(${c.family}, ${params} params, ${c.nLayers} layers, d=${c.dModel}, heads ${c.nHeads}/${c.nKvHeads}, vocab ${c.vocabSize})`;
  const html =
    `<table><caption style="text-align:left"><b>${esc(c.family)}</b> causal LM</caption>` +
    rows.map(([k, v]) => `<tr><th style="text-align:left">${esc(k)}</th><td style="text-align:left">${esc(v)}</td></tr>`).join("") +
    `</table>`;
  return { "text/plain": plain, "text/html": html };
}
