// PEFT's adapter format, both directions: tensor names in adapter_model.safetensors
// ("base_model.model.<module path>.lora_A.weight", adapter name omitted, as save_pretrained writes
// them) and the fields of adapter_config.json (LoraConfig.to_dict(), with PEFT's defaults for what
// Stillroom does not use).

import { isDataInit, type LoraConfig } from "./config.js";

export const ADAPTER_CONFIG = "adapter_config.json";
export const ADAPTER_WEIGHTS = "adapter_model.safetensors";
export const PEFT_PREFIX = "base_model.model.";

export const peftKey = (path: string, which: "lora_A" | "lora_B") => `${PEFT_PREFIX}${path}.${which}.weight`;

/** The module path and factor a PEFT tensor name holds, or null when it is not a LoRA factor. */
export function parsePeftKey(key: string): { path: string; which: "lora_A" | "lora_B" } | null {
  const m = /^(?:base_model\.model\.)?(.+)\.(lora_A|lora_B)(?:\.default)?\.weight$/.exec(key);
  return m ? { path: m[1], which: m[2] as "lora_A" | "lora_B" } : null;
}

/** init_lora_weights as PEFT spells it: true for kaiming, else the name. */
export function peftInit(init: LoraConfig["init"]): boolean | string {
  if (isDataInit(init)) return init.method;
  return init === "kaiming" ? true : init;
}

/** Stillroom's init name for a config's init_lora_weights (null when Stillroom cannot start from it). */
export function initFromPeft(v: unknown): "kaiming" | "gaussian" | "pissa" | "olora" | "eva" | null {
  if (v === true) return "kaiming";
  if (v === "gaussian" || v === "pissa" || v === "olora" || v === "eva") return v;
  return null;
}

export interface PeftConfigFields {
  r: number;
  alpha: number;
  dropout: number;
  useRslora: boolean;
  init: boolean | string;
  targetModules: string[];
  rankPattern: Record<string, number>;
  alphaPattern: Record<string, number>;
  baseModel: string | null;
  extra?: Record<string, unknown>;
}

/** adapter_config.json's object, keys sorted as PEFT writes them. */
export function adapterConfigJson(f: PeftConfigFields): Record<string, unknown> {
  const fields: Record<string, unknown> = {
    alpha_pattern: f.alphaPattern,
    auto_mapping: null,
    base_model_name_or_path: f.baseModel,
    bias: "none",
    eva_config: null,
    exclude_modules: null,
    fan_in_fan_out: false,
    inference_mode: true,
    init_lora_weights: f.init,
    layer_replication: null,
    layers_pattern: null,
    layers_to_transform: null,
    lora_alpha: f.alpha,
    lora_bias: false,
    lora_dropout: f.dropout,
    modules_to_save: null,
    peft_type: "LORA",
    r: f.r,
    rank_pattern: f.rankPattern,
    revision: null,
    target_modules: f.targetModules,
    task_type: "CAUSAL_LM",
    use_dora: false,
    use_rslora: f.useRslora,
    ...f.extra,
  };
  return Object.fromEntries(
    Object.keys(fields)
      .sort()
      .map((k) => [k, fields[k]]),
  );
}
