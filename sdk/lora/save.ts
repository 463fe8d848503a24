// Writing an adapter as PEFT's save_pretrained does: adapter_model.safetensors (float32 lora_A and
// lora_B per layer) and adapter_config.json, plus a README that says what the adapter applies to.
//
// PiSSA and OLoRA adapters apply to the residual base. With {asLora: true} they are written instead
// as a plain LoRA for the original weights (PEFT's path_initial_model_for_weight_conversion): the
// update s (B A - B0 A0) is the rank-2r product [B, -B0] [A; A0] with alpha doubled (sqrt(2) alpha
// with rsLoRA), so the scaling stays what it was.

import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic, writeJsonAtomic } from "../io/atomic.js";
import { writeSafetensors, type TensorInput } from "../io/safetensors.js";
import type { LoraAdapter } from "./adapter.js";
import { isDataInit } from "./config.js";
import { baseNote, initLabel } from "./display.js";
import { ADAPTER_CONFIG, ADAPTER_WEIGHTS, adapterConfigJson, peftInit, peftKey } from "./peft.js";
import { targetModules } from "./targets.js";

export interface SaveAdapterOptions {
  /** base_model_name_or_path (default: attach's baseModel, else null) */
  baseModel?: string | null;
  /** PiSSA / OLoRA: write a plain LoRA (rank 2r) for the original weights instead of the residual (default false) */
  asLora?: boolean;
}

/** [A; A0] ([2r, in]) and [B, -B0] ([out, 2r]). */
function stacked(A: Float32Array, B: Float32Array, A0: Float32Array, B0: Float32Array, r: number, outF: number) {
  const A2 = new Float32Array(A.length * 2);
  A2.set(A, 0);
  A2.set(A0, A.length);
  const B2 = new Float32Array(outF * 2 * r);
  for (let i = 0; i < outF; i++) {
    for (let k = 0; k < r; k++) {
      B2[i * 2 * r + k] = B[i * r + k];
      B2[i * 2 * r + r + k] = -B0[i * r + k];
    }
  }
  return { A2, B2 };
}

export async function saveAdapter(a: LoraAdapter, dir: string, opts: SaveAdapterOptions = {}): Promise<void> {
  const c = a.config;
  const asLora = opts.asLora ?? false;
  if (asLora && !a.changesBase)
    throw new Error(`lora adapter save: asLora converts PiSSA / OLoRA adapters; this one (${initLabel(a)}) already is a plain LoRA`);
  const factor = asLora ? 2 : 1;
  const alphaFactor = asLora ? (c.useRslora ? Math.SQRT2 : 2) : 1;
  const tensors: Record<string, TensorInput> = {};
  const rankPattern: Record<string, number> = {};
  const alphaPattern: Record<string, number> = {};
  for (const { path, layer, initial } of a.layers) {
    const A = layer.lora_A.weight.dataSync() as Float32Array;
    const B = layer.lora_B.weight.dataSync() as Float32Array;
    const [outF, inF] = [layer.outFeatures, layer.inFeatures];
    const r = layer.r;
    if (asLora && initial) {
      const { A2, B2 } = stacked(A, B, initial.A, initial.B, r, outF);
      tensors[peftKey(path, "lora_A")] = { dtype: "F32", shape: [2 * r, inF], data: A2 };
      tensors[peftKey(path, "lora_B")] = { dtype: "F32", shape: [outF, 2 * r], data: B2 };
    } else {
      tensors[peftKey(path, "lora_A")] = { dtype: "F32", shape: [r, inF], data: A };
      tensors[peftKey(path, "lora_B")] = { dtype: "F32", shape: [outF, r], data: B };
    }
    if (r !== c.r) rankPattern[path] = factor * r;
    if (layer.alpha !== c.alpha) alphaPattern[path] = alphaFactor * layer.alpha;
  }
  const init = asLora ? true : peftInit(c.init);
  const baseModel = opts.baseModel === undefined ? c.baseModel : opts.baseModel;
  const config = adapterConfigJson({
    r: factor * c.r,
    alpha: alphaFactor * c.alpha,
    dropout: c.dropout,
    useRslora: c.useRslora,
    init,
    targetModules: targetModules(
      a.model,
      a.layers.map((l) => l.path),
    ),
    rankPattern,
    alphaPattern,
    baseModel,
    extra: isDataInit(c.init) && !asLora ? c.init.peftConfig : undefined,
  });
  await mkdir(dir, { recursive: true });
  await writeSafetensors(join(dir, ADAPTER_WEIGHTS), tensors, { format: "pt" });
  await writeJsonAtomic(join(dir, ADAPTER_CONFIG), config);
  await writeFileAtomic(join(dir, "README.md"), readme(a, baseModel, asLora));
}

function readme(a: LoraAdapter, baseModel: string | null, asLora: boolean): string {
  const lines = [
    "---",
    "library_name: peft",
    ...(baseModel ? [`base_model: ${baseModel}`] : []),
    "---",
    "",
    `# LoRA adapter (${asLora ? `${initLabel(a)}, converted to plain LoRA` : initLabel(a)})`,
    "",
    `Written by Stillroom in PEFT's format: ${a.layers.length} layers, ${a.numParams()} trainable parameters before conversion.`,
    "Load it with `PeftModel.from_pretrained(base, dir)` (PEFT) or `sr.lora.load(model, dir)` (Stillroom).",
  ];
  const note = baseNote(a);
  if (note && !asLora) lines.push("", note);
  if (asLora)
    lines.push("", "This adapter applies to the original base weights: the initial PiSSA / OLoRA factors were subtracted (rank 2r).");
  return `${lines.join("\n")}\n`;
}
