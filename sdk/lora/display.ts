// How an adapter shows itself: one summary line (init, rank, alpha, trainable share of the model,
// state) and a table of the wrapped layers; PiSSA and OLoRA say that they changed the base weights.

import { formatCount } from "../models/display.js";
import { Table } from "../viz/table.js";
import type { MimeBundle } from "../viz/mime.js";
import { isDataInit } from "./config.js";
import type { LoraAdapter } from "./adapter.js";

const INIT_NAMES: Record<string, string> = { kaiming: "kaiming (PEFT's default)", gaussian: "gaussian", pissa: "PiSSA", olora: "OLoRA" };

/** The init as a reader knows it: "kaiming (PEFT's default)", "PiSSA", "EVA". */
export function initLabel(a: LoraAdapter): string {
  const init = a.config.init;
  return isDataInit(init) ? init.method.toUpperCase() : (INIT_NAMES[init] ?? init);
}

export function summary(a: LoraAdapter): string {
  const c = a.config;
  const total = a.model.numParams();
  const own = a.numParams();
  const share = total ? ((100 * own) / total).toFixed(2) : "0";
  const rank = new Set(a.layers.map((l) => l.layer.r)).size === 1 ? `r ${a.layers[0]?.layer.r}` : `r ${c.r} (per layer below)`;
  return (
    `LoRA adapter (${a.state}): ${a.layers.length} layers, init ${initLabel(a)}, ${rank}, alpha ${c.alpha}` +
    `${c.useRslora ? " (rsLoRA: alpha / sqrt(r))" : ""}, dropout ${c.dropout}; ` +
    `${formatCount(own)} trainable parameters, ${share}% of ${formatCount(total)}`
  );
}

/** The sentence PiSSA and OLoRA owe the reader: where the base weights went. */
export function baseNote(a: LoraAdapter): string {
  if (!a.changesBase) return "";
  return (
    `${initLabel(a)} changed the base weight of every wrapped layer to the residual W - s B0 A0, so that ` +
    `base + adapter starts equal to the original model. detach() puts the original weights back; the saved ` +
    `adapter applies to that residual (PEFT and sr.lora.load re-derive it from the original model), and ` +
    `save(dir, {asLora: true}) writes a plain LoRA for the original weights instead.`
  );
}

export function layerTable(a: LoraAdapter): Table {
  return new Table(
    a.layers.map(({ path, layer }) => ({
      layer: path,
      in: layer.inFeatures,
      out: layer.outFeatures,
      rank: layer.r,
      alpha: layer.alpha,
      scaling: layer.scaling,
      trainable: layer.r * (layer.inFeatures + layer.outFeatures),
    })),
    { format: { scaling: (s: number) => String(Number(s.toPrecision(4))) } },
  );
}

export function adapterDisplay(a: LoraAdapter): MimeBundle {
  const head = summary(a);
  const note = baseNote(a);
  const t = layerTable(a);
  const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  const text = [head, note, t.toMarkdown()].filter(Boolean).join("\n\n");
  return {
    "text/plain": text,
    "text/markdown": text,
    "text/html": `<p>${esc(head)}</p>${note ? `<p><b>Note:</b> ${esc(note)}</p>` : ""}${t.toHTML()}`,
  };
}
