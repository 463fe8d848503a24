// Before save writes anything: a Hugging Face checkpoint holds plain weights under the names its
// config.json implies, so a tree with wrappers (a LoRA linear's base_layer and lora_A) or
// parametrised weights (W + z * w) would save files that load cannot read back. Refuse instead,
// naming the module and the way out.

import { getModule, kindOf, type Module } from "../nn/module.js";
import { parametrizations } from "../nn/parametrize.js";
import { isMergeable } from "../nn/replace.js";
import type { ModelConfig } from "./config.js";
import { weightSpecs } from "./layout.js";

interface Savable extends Module {
  readonly config: ModelConfig;
  parameters(): Map<string, { shape: number[] }>;
}

/** Every module path the layout implies ("model", "model.layers", ..., "model.layers.0.self_attn.q_proj"). */
function modulePaths(names: Iterable<string>): Set<string> {
  const out = new Set<string>([""]);
  for (const n of names) {
    const parts = n.split(".");
    for (let i = 1; i < parts.length; i++) out.add(parts.slice(0, i).join("."));
  }
  return out;
}

/**
 * The module to blame for a name out of place: the parent of the first path the layout does not
 * know (q_proj for q_proj.lora_A.weight, self_attn for self_attn.gate.weight), else the module that
 * should hold the weight; the deepest one that exists.
 */
function blame(model: Module, name: string, known: Set<string>): string {
  const parts = name.split(".").slice(0, -1);
  let path = parts.join(".");
  for (let i = 1; i <= parts.length; i++) {
    if (!known.has(parts.slice(0, i).join("."))) {
      path = parts.slice(0, i - 1).join(".");
      break;
    }
  }
  for (;;) {
    try {
      getModule(model, path);
      return path;
    } catch {
      path = path.includes(".") ? path.slice(0, path.lastIndexOf(".")) : "";
    }
  }
}

/** Throw when `model` cannot be saved as a checkpoint its own config.json loads back. */
export function checkSavable(model: Savable): void {
  const params = parametrizations(model);
  if (params.size) {
    const [name, p] = [...params][0];
    const more = params.size > 1 ? ` (and ${params.size - 1} more parametrised weights)` : "";
    throw new Error(
      `save: ${name} is parametrised by ${kindOf(p)}${more}; a Hugging Face checkpoint stores plain weights. ` +
        `Write the parametrised value into the weight with model.unparametrize("${name}", {merge: true}), ` +
        `remove the parametrisation to save the base weights, or save the method's own files.`,
    );
  }
  const specs = weightSpecs(model.config);
  const known = new Set(specs.map((s) => s.name));
  const held = model.parameters();
  const extra = [...held.keys()].filter((n) => !known.has(n));
  const missing = [...known].filter((n) => !held.has(n));
  if (extra.length || missing.length) {
    // a tied head is a module of the layout too, though its weight is stored once, as the embedding
    const paths = modulePaths(model.config.tieEmbeddings ? [...known, "lm_head.weight"] : known);
    const wrappers = new Map<string, Module>();
    for (const n of [...extra, ...missing]) {
      const at = blame(model, n, paths);
      if (!wrappers.has(at)) wrappers.set(at, getModule(model, at));
    }
    const [path, m] = [...wrappers][0];
    const under = (names: string[]) => names.filter((n) => n.startsWith(`${path}.`)).map((n) => n.slice(path.length + 1));
    const few = (names: string[]) => names.slice(0, 4).join(", ") + (names.length > 4 ? ", ..." : "");
    const what = [
      under(extra).length ? `holds ${few(under(extra))}` : "",
      under(missing).length ? `lacks ${few(under(missing))}` : "",
    ].filter(Boolean);
    const others = [...wrappers.keys()].slice(1);
    const more = others.length ? ` (so do ${others.length} more modules: ${few(others)})` : "";
    const way = isMergeable(m)
      ? "merge it into the weights first (sr.nn.mergeModules(model)), or save the method's own files (an adapter)"
      : "put back the module it replaced, build the model from a config whose layerTypes name a registered layer type for it, or save the method's own files";
    throw new Error(
      `save: ${path} (${kindOf(m)}) ${what.join(" and ")}, which the checkpoint layout of this config.json cannot hold${more}. To save, ${way}.`,
    );
  }
  for (const s of specs) {
    const shape = held.get(s.name)!.shape;
    if (shape.join() !== s.shape.join()) throw new Error(`save: ${s.name} has shape [${shape}]; config.json implies [${s.shape}]`);
  }
}
