// attach() options: a typed plain object, defaults in one place (PEFT's LoraConfig defaults), eager
// validation whose errors name the field, the value and what it accepts.

import { ArgumentError } from "../errors.js";
import type { ModuleMatch } from "../nn/paths.js";

/** Initialisations computed from the base weight or at random. */
export const INITS = ["kaiming", "gaussian", "pissa", "olora"] as const;
export type InitName = (typeof INITS)[number];

/** One layer of a data-driven initialisation (EVA): its rank (0 = no adapter), alpha and lora_A. */
export interface LayerInit {
  rank: number;
  alpha: number;
  /** [rank, inFeatures] row-major; null when rank is 0 */
  A: Float32Array | null;
}

/**
 * An initialisation computed from data before attach (sr.eva.init returns one): it decides each
 * layer's rank and alpha and gives lora_A; lora_B starts at zero, so the model is unchanged.
 */
export interface DataInit {
  /** the name adapter_config.json records in init_lora_weights ("eva") */
  readonly method: string;
  /** the rank budget per layer the ranks were drawn from, and the alpha that goes with it */
  readonly r: number;
  readonly alpha: number;
  /** by module path, every layer the init covers (rank 0 included) */
  readonly layers: ReadonlyMap<string, LayerInit>;
  /** further adapter_config.json fields (EVA: eva_config) */
  readonly peftConfig?: Record<string, unknown>;
}

export interface LoraOptions {
  /** the linears to wrap: a RegExp on module paths, names as in PEFT's target_modules ("q_proj"), or a
   *  predicate; default with a DataInit: the layers it gives a rank */
  targets?: ModuleMatch;
  /** rank (default 8, or the DataInit's) */
  r?: number;
  /** scaling numerator: the update is (alpha / r) B A, or (alpha / sqrt(r)) B A with useRslora (default 8, or the DataInit's) */
  alpha?: number;
  /** dropout on the adapter's input while training (default 0) */
  dropout?: number;
  /** "kaiming" (PEFT's default: A uniform, B zero), "gaussian" (A ~ N(0, 1/r^2), B zero), "pissa", "olora", or a DataInit (sr.eva.init) */
  init?: InitName | DataInit;
  /** rank per layer: PEFT pattern (a regex matched against the end of the path, "q_proj" or "layers\\.0\\.self_attn\\.q_proj") -> rank */
  rankPattern?: Record<string, number>;
  /** alpha per layer, as rankPattern */
  alphaPattern?: Record<string, number>;
  /** rank-stabilised scaling alpha / sqrt(r) (default false) */
  useRslora?: boolean;
  /** seed of the random inits and the dropout masks (default 0) */
  seed?: number;
  /** recorded as base_model_name_or_path in adapter_config.json (default null) */
  baseModel?: string | null;
}

export interface LoraConfig {
  targets: ModuleMatch | null;
  r: number;
  alpha: number;
  dropout: number;
  init: InitName | DataInit;
  rankPattern: Record<string, number>;
  alphaPattern: Record<string, number>;
  useRslora: boolean;
  seed: number;
  baseModel: string | null;
}

const WHERE = "lora.attach";

export const isDataInit = (v: unknown): v is DataInit =>
  typeof v === "object" && v !== null && (v as DataInit).layers instanceof Map && typeof (v as DataInit).method === "string";

function checkPattern(field: string, p: unknown, isInt: boolean): Record<string, number> {
  if (p === undefined) return {};
  if (typeof p !== "object" || p === null || Array.isArray(p)) throw new ArgumentError(field, p, "an object: pattern -> value", WHERE);
  for (const [k, v] of Object.entries(p)) {
    patternRegExp(k, `${field}[${JSON.stringify(k)}]`);
    const ok = isInt ? Number.isInteger(v) && (v as number) >= 1 : typeof v === "number" && Number.isFinite(v) && v > 0;
    if (!ok) throw new ArgumentError(`${field}[${JSON.stringify(k)}]`, v, isInt ? "an integer >= 1" : "a number > 0", WHERE);
  }
  return { ...(p as Record<string, number>) };
}

export function loraConfig(o: LoraOptions): LoraConfig {
  if (typeof o !== "object" || o === null) throw new ArgumentError("(options)", o, "an object {targets, r, alpha, ...}", WHERE);
  const init = o.init ?? "kaiming";
  if (!isDataInit(init) && !INITS.includes(init as InitName)) {
    const hint = (init as string) === "eva" ? " (EVA: pass the result of sr.eva.init(acts), not the string)" : "";
    throw new ArgumentError("init", init, `one of ${INITS.map((s) => `"${s}"`).join(", ")} or the result of sr.eva.init${hint}`, WHERE);
  }
  const data = isDataInit(init) ? init : null;
  if (data && o.r !== undefined && o.r !== data.r)
    throw new ArgumentError("r", o.r, `the EVA init's r = ${data.r} (or leave r out)`, WHERE);
  if (data && o.alpha !== undefined && o.alpha !== data.alpha) {
    throw new ArgumentError(
      "alpha",
      o.alpha,
      `the EVA init's alpha = ${data.alpha} (set alpha in sr.eva.init, or leave it out here)`,
      WHERE,
    );
  }
  if (data && (o.rankPattern || o.alphaPattern)) {
    throw new ArgumentError(
      o.rankPattern ? "rankPattern" : "alphaPattern",
      o.rankPattern ?? o.alphaPattern,
      "nothing: the EVA init sets each layer's rank and alpha",
      WHERE,
    );
  }
  const r = o.r ?? data?.r ?? 8;
  if (!Number.isInteger(r) || r < 1) throw new ArgumentError("r", r, "an integer >= 1", WHERE);
  const alpha = o.alpha ?? data?.alpha ?? 8;
  if (typeof alpha !== "number" || !Number.isFinite(alpha) || alpha <= 0) throw new ArgumentError("alpha", alpha, "a number > 0", WHERE);
  const dropout = o.dropout ?? 0;
  if (typeof dropout !== "number" || !(dropout >= 0 && dropout < 1))
    throw new ArgumentError("dropout", dropout, "a number in [0, 1)", WHERE);
  if (o.targets === undefined && !data)
    throw new ArgumentError("targets", o.targets, 'the layers to wrap: names (["q_proj", "v_proj"]), a RegExp or a predicate', WHERE);
  const useRslora = o.useRslora ?? false;
  if (typeof useRslora !== "boolean") throw new ArgumentError("useRslora", useRslora, "true or false", WHERE);
  const seed = o.seed ?? 0;
  if (!Number.isInteger(seed) || seed < 0) throw new ArgumentError("seed", seed, "an integer >= 0", WHERE);
  const baseModel = o.baseModel ?? null;
  if (baseModel !== null && typeof baseModel !== "string") throw new ArgumentError("baseModel", baseModel, "a string or null", WHERE);
  return {
    targets: o.targets ?? null,
    r,
    alpha,
    dropout,
    init: init as InitName | DataInit,
    rankPattern: checkPattern("rankPattern", o.rankPattern, true),
    alphaPattern: checkPattern("alphaPattern", o.alphaPattern, false),
    useRslora,
    seed,
    baseModel,
  };
}

/** PEFT's pattern test: the key (a regex) matches the whole path or a suffix after a dot. */
export function patternRegExp(key: string, field = "pattern"): RegExp {
  try {
    return new RegExp(`^(?:.*\\.)?(?:${key})$`);
  } catch (e) {
    throw new ArgumentError(field, key, `a valid regular expression (${(e as Error).message})`, WHERE);
  }
}

/** The value of the first pattern (in insertion order, as PEFT's get_pattern_key) matching `path`, else `fallback`. */
export function patternValue(patterns: Record<string, number>, path: string, fallback: number): number {
  for (const [k, v] of Object.entries(patterns)) if (patternRegExp(k).test(path)) return v;
  return fallback;
}

/** The factor that multiplies B A: alpha / r, or alpha / sqrt(r) (rsLoRA). */
export const scalingOf = (alpha: number, r: number, rslora: boolean): number => (rslora ? alpha / Math.sqrt(r) : alpha / r);
