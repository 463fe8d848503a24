// Reading a PEFT LoRA adapter directory back onto a model: the config's rank, alpha and patterns,
// the factors by tensor name, each checked against the model's layer shapes. A PiSSA or OLoRA adapter
// was trained on the residual base: as PEFT does, the residual is re-derived from this model's
// weights (the decomposition is deterministic) before the saved factors go in.

import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { isRecord } from "../io/json.js";
import { readSafetensors } from "../io/safetensors.js";
import type { Model } from "../models/model.js";
import { endsWithPath } from "../nn/paths.js";
import type { LoraAdapter } from "./adapter.js";
import { applyPlans, type LayerPlan } from "./attach.js";
import { type DataInit, type LoraConfig, patternValue, scalingOf } from "./config.js";
import { type Decomposed, oloraInit, pissaInit } from "./init.js";
import { ADAPTER_CONFIG, ADAPTER_WEIGHTS, initFromPeft, parsePeftKey } from "./peft.js";
import { describeLinears, linearPaths } from "./targets.js";

const WHERE = "lora.load";

interface SavedConfig {
  r: number;
  alpha: number;
  dropout: number;
  useRslora: boolean;
  init: "kaiming" | "gaussian" | "pissa" | "olora" | "eva";
  targets: string[] | string;
  rankPattern: Record<string, number>;
  alphaPattern: Record<string, number>;
  baseModel: string | null;
}

function readConfig(path: string, raw: unknown): SavedConfig {
  const bad = (field: string, v: unknown, expected: string) => new Error(`${path}: ${field} = ${JSON.stringify(v)}: expected ${expected}`);
  if (!isRecord(raw)) throw new Error(`${path}: expected a JSON object`);
  if (raw.peft_type !== "LORA") throw bad("peft_type", raw.peft_type, '"LORA"');
  const r = raw.r;
  if (!Number.isInteger(r) || (r as number) < 1) throw bad("r", r, "an integer >= 1");
  const alpha = raw.lora_alpha ?? 8;
  if (typeof alpha !== "number" || !(alpha > 0)) throw bad("lora_alpha", alpha, "a number > 0");
  const dropout = raw.lora_dropout ?? 0;
  if (typeof dropout !== "number" || !(dropout >= 0 && dropout < 1)) throw bad("lora_dropout", dropout, "a number in [0, 1)");
  const init = initFromPeft(raw.init_lora_weights ?? true);
  if (!init) throw bad("init_lora_weights", raw.init_lora_weights, 'true, "gaussian", "pissa", "olora" or "eva"');
  for (const [k, want] of [
    ["use_dora", false],
    ["fan_in_fan_out", false],
  ] as const) {
    if ((raw[k] ?? false) !== want) throw bad(k, raw[k], `${want} (Stillroom's LoRA layers do not support it)`);
  }
  if ((raw.bias ?? "none") !== "none") throw bad("bias", raw.bias, '"none"');
  const targets = raw.target_modules;
  if (!(typeof targets === "string" || (Array.isArray(targets) && targets.every((t) => typeof t === "string")))) {
    throw bad("target_modules", targets, "a list of module names or a regular expression");
  }
  const pattern = (field: string, v: unknown): Record<string, number> => {
    if (v === undefined || v === null) return {};
    if (!isRecord(v) || !Object.values(v).every((x) => typeof x === "number" && x > 0)) throw bad(field, v, "an object: pattern -> number");
    return v as Record<string, number>;
  };
  return {
    r: r as number,
    alpha,
    dropout,
    useRslora: raw.use_rslora === true,
    init,
    targets: targets as string[] | string,
    rankPattern: pattern("rank_pattern", raw.rank_pattern),
    alphaPattern: pattern("alpha_pattern", raw.alpha_pattern),
    baseModel: typeof raw.base_model_name_or_path === "string" ? raw.base_model_name_or_path : null,
  };
}

/** PEFT's target_modules test: a string is a regex over the whole path, a list holds names or paths. */
function targeted(targets: string[] | string, path: string): boolean {
  if (typeof targets === "string") return new RegExp(`^(?:${targets})$`).test(path);
  return targets.some((t) => endsWithPath(path, t));
}

/** A loaded EVA adapter keeps its name and eva_config, so that saving it again writes them back. */
function loadedDataInit(saved: SavedConfig, plans: LayerPlan[], raw: Record<string, unknown>): DataInit {
  return {
    method: "eva",
    r: saved.r,
    alpha: saved.alpha,
    layers: new Map(plans.map((p) => [p.path, { rank: p.r, alpha: p.alpha, A: p.factors.A }])),
    peftConfig: { eva_config: raw.eva_config ?? null },
  };
}

/**
 * Attach the adapter saved in `dir` (adapter_config.json + adapter_model.safetensors, as PEFT writes
 * them) to `model`, with its saved factors; returns the handle, as attach() does.
 */
export async function load(model: Model, dir: string): Promise<LoraAdapter> {
  const cfgPath = join(dir, ADAPTER_CONFIG);
  let text: string;
  try {
    text = await readFile(cfgPath, "utf8");
  } catch (e) {
    throw new Error(`${WHERE}: cannot read ${cfgPath} (${(e as Error).message})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(`${cfgPath}: not valid JSON (${(e as Error).message})`);
  }
  const saved = readConfig(cfgPath, raw);
  const weightsPath = join(dir, ADAPTER_WEIGHTS);
  const { tensors } = await readSafetensors(weightsPath);
  const factors = new Map<string, { A?: { shape: number[]; data: Float32Array }; B?: { shape: number[]; data: Float32Array } }>();
  for (const [key, t] of Object.entries(tensors)) {
    const k = parsePeftKey(key);
    if (!k)
      throw new Error(`${weightsPath}: ${key} is not a LoRA factor (expected base_model.model.<module>.lora_A.weight or .lora_B.weight)`);
    if (!(t.data instanceof Float32Array)) throw new Error(`${weightsPath}: ${key} is ${t.dtype}; expected floating point`);
    const entry = factors.get(k.path) ?? {};
    entry[k.which === "lora_A" ? "A" : "B"] = { shape: t.shape, data: t.data };
    factors.set(k.path, entry);
  }
  const linears = linearPaths(model);
  for (const path of linears.keys()) {
    if (targeted(saved.targets, path) && !factors.has(path)) {
      throw new Error(
        `${weightsPath}: target_modules ${JSON.stringify(saved.targets)} selects ${path}, but the file has no lora_A / lora_B for it`,
      );
    }
  }
  const plans: LayerPlan[] = [];
  for (const [path, f] of factors) {
    const base = linears.get(path);
    if (!base)
      throw new Error(
        `${weightsPath}: the adapter has weights for ${path}, which is not a linear layer of this model. The linear layers are ${describeLinears(model)}`,
      );
    if (!f.A || !f.B) throw new Error(`${weightsPath}: ${path} has ${f.A ? "lora_A" : "lora_B"} but not ${f.A ? "lora_B" : "lora_A"}`);
    const [outF, inF] = base.weight.shape;
    const r = patternValue(saved.rankPattern, path, saved.r);
    if (f.A.shape.join() !== `${r},${inF}` || f.B.shape.join() !== `${outF},${r}`) {
      throw new Error(
        `${weightsPath}: ${path} has lora_A [${f.A.shape}] and lora_B [${f.B.shape}]; rank ${r} (from the config) of a [${outF}, ${inF}] layer needs [${r}, ${inF}] and [${outF}, ${r}]`,
      );
    }
    const alpha = patternValue(saved.alphaPattern, path, saved.alpha);
    let d: Decomposed | null = null;
    if (saved.init === "pissa" || saved.init === "olora") {
      const decompose = saved.init === "pissa" ? pissaInit : oloraInit;
      d = decompose(base.weight.dataSync(), outF, inF, r, scalingOf(alpha, r, saved.useRslora));
    }
    const initial = d && { A: d.A, B: d.B };
    plans.push({ path, base, r, alpha, factors: { A: f.A.data, B: f.B.data }, residual: d?.residual ?? null, initial });
  }
  const config: LoraConfig = {
    targets: [...factors.keys()],
    r: saved.r,
    alpha: saved.alpha,
    dropout: saved.dropout,
    init: saved.init === "eva" ? loadedDataInit(saved, plans, raw as Record<string, unknown>) : saved.init,
    rankPattern: saved.rankPattern,
    alphaPattern: saved.alphaPattern,
    useRslora: saved.useRslora,
    seed: 0,
    baseModel: saved.baseModel,
  };
  return applyPlans(model, config, plans);
}
