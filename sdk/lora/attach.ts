// attach(): wrap the chosen linears of a model in LoRA layers, freeze everything else, and return the
// adapter handle. Every layer's factors are computed before the model is touched, so a bad option
// or an impossible init leaves the model as it was.

import * as tf from "@tensorflow/tfjs-core";
import type { Model } from "../models/model.js";
import type { Linear } from "../nn/linear.js";
import { namedParameters, parameterPaths, walkModules } from "../nn/module.js";
import { subSeed } from "../nn/random.js";
import { replaceModules } from "../nn/replace.js";
import { type AdaptedLayer, LoraAdapter } from "./adapter.js";
import { type DataInit, isDataInit, type LoraConfig, type LoraOptions, loraConfig, patternValue, scalingOf } from "./config.js";
import { type Factors, gaussianInit, kaimingInit, oloraInit, pissaInit } from "./init.js";
import { LoraLinear } from "./layer.js";
import { describeLinears, linearPaths, selectLinears } from "./targets.js";

const WHERE = "lora.attach";

/** What one layer gets: rank, alpha, factors, and (PiSSA, OLoRA) the residual its base weight becomes. */
export interface LayerPlan {
  path: string;
  base: Linear;
  r: number;
  alpha: number;
  factors: Factors;
  /** PiSSA / OLoRA: the residual the base weight becomes, and the factors the decomposition gave */
  residual: Float32Array | null;
  initial: Factors | null;
}

/** Wrap the planned layers, freezing the rest of the model; returns the adapter. */
export function applyPlans(model: Model, config: LoraConfig, plans: LayerPlan[]): LoraAdapter {
  const trainableBefore = new Map([...namedParameters(model).values()].map((v) => [v, v.trainable]));
  model.freeze();
  const adapted: AdaptedLayer[] = [];
  const wrappers = new Map<string, LoraLinear>();
  for (const p of plans) {
    const w = p.base.weight;
    const original = p.residual ? (w.dataSync().slice() as Float32Array) : null;
    if (p.residual) {
      const residual = p.residual;
      w.assign(tf.tidy(() => tf.tensor(residual, w.shape)));
    }
    const layer = new LoraLinear(p.base, {
      A: p.factors.A,
      B: p.factors.B,
      r: p.r,
      alpha: p.alpha,
      scaling: scalingOf(p.alpha, p.r, config.useRslora),
      dropout: config.dropout,
      seed: subSeed(config.seed, `${p.path}:dropout`),
    });
    wrappers.set(p.path, layer);
    adapted.push({ path: p.path, layer, original, initial: p.initial });
  }
  replaceModules(
    model,
    (path) => wrappers.has(path),
    (_, path) => wrappers.get(path)!,
  );
  return new LoraAdapter(model, config, adapted, trainableBefore);
}

/** The layers a data-driven init covers that are to be wrapped (rank > 0), checked against the model. */
function dataPaths(model: Model, init: DataInit, config: LoraConfig): string[] {
  const linears = linearPaths(model);
  const chosen = config.targets === null ? [...init.layers.keys()] : selectLinears(model, config.targets, WHERE);
  for (const path of chosen) {
    const l = init.layers.get(path);
    if (!l)
      throw new Error(
        `${WHERE}: ${path} is targeted but the ${init.method.toUpperCase()} init has no entry for it (it covers ${[...init.layers.keys()].join(", ")})`,
      );
    const base = linears.get(path);
    if (!base)
      throw new Error(
        `${WHERE}: the ${init.method.toUpperCase()} init names ${path}, which is not a linear layer of this model. The linear layers are ${describeLinears(model)}`,
      );
    if (l.rank > 0 && l.A?.length !== l.rank * base.inFeatures) {
      throw new Error(
        `${WHERE}: the init's lora_A for ${path} has ${l.A?.length ?? 0} values; rank ${l.rank} x ${base.inFeatures} inputs needs ${l.rank * base.inFeatures}`,
      );
    }
  }
  return chosen.filter((p) => init.layers.get(p)!.rank > 0);
}

/** Tied weights (lm_head = embed_tokens) that PiSSA / OLoRA would change under two names at once. */
function refuseTied(model: Model, paths: string[], init: string): void {
  const names = new Map<tf.Variable, string[]>();
  for (const [n, v] of parameterPaths(model)) names.set(v, [...(names.get(v) ?? []), n]);
  const linears = linearPaths(model);
  for (const p of paths) {
    const held = names.get(linears.get(p)!.weight) ?? [];
    if (held.length > 1)
      throw new Error(
        `${WHERE}: init "${init}" changes the base weight of ${p}, which is tied (${held.join(" = ")}); leave it out of targets`,
      );
  }
}

export function planLayers(model: Model, config: LoraConfig): LayerPlan[] {
  const existing = [...walkModules(model)].find(([, m]) => m instanceof LoraLinear);
  if (existing) throw new Error(`${WHERE}: the model already has LoRA layers (${existing[0]}, ...); detach that adapter first`);
  const init = config.init;
  const linears = linearPaths(model);
  if (isDataInit(init)) {
    return dataPaths(model, init, config).map((path) => {
      const base = linears.get(path)!;
      const l = init.layers.get(path)!;
      return {
        path,
        base,
        r: l.rank,
        alpha: l.alpha,
        factors: { A: l.A!, B: new Float32Array(base.outFeatures * l.rank) },
        residual: null,
        initial: null,
      };
    });
  }
  const paths = selectLinears(model, config.targets!, WHERE);
  if (init === "pissa" || init === "olora") refuseTied(model, paths, init);
  return paths.map((path) => {
    const base = linears.get(path)!;
    const [outF, inF] = base.weight.shape;
    const r = patternValue(config.rankPattern, path, config.r);
    const alpha = patternValue(config.alphaPattern, path, config.alpha);
    const s = scalingOf(alpha, r, config.useRslora);
    const seed = subSeed(config.seed, path);
    if (init === "kaiming") return { path, base, r, alpha, factors: kaimingInit(r, inF, outF, seed), residual: null, initial: null };
    if (init === "gaussian") return { path, base, r, alpha, factors: gaussianInit(r, inF, outF, seed), residual: null, initial: null };
    const W = base.weight.dataSync();
    const d = init === "pissa" ? pissaInit(W, outF, inF, r, s) : oloraInit(W, outF, inF, r, s);
    return { path, base, r, alpha, factors: { A: d.A, B: d.B }, residual: d.residual, initial: { A: d.A.slice(), B: d.B.slice() } };
  });
}

/**
 * Wrap every linear that `targets` selects in a LoRA layer (rank r, scaling alpha / r), freeze the
 * base model, and return the adapter handle (merge, unmerge, detach, save; it displays as a table).
 * PiSSA and OLoRA replace the base weights with residuals; detach() puts them back.
 */
export function attach(model: Model, options: LoraOptions): LoraAdapter {
  const config = loraConfig(options);
  return applyPlans(model, config, planLayers(model, config));
}
