// Copying weights into a model by name: from another model (a teacher's embeddings, projections
// and MLPs into a student), from averaged experts, from tensors read off disk.

import * as tf from "@tensorflow/tfjs-core";
import { namedParameters, parameterPaths, type Module } from "../nn/module.js";
import { groupPaths } from "../nn/paths.js";

/** Plain tensor data, as sr.io.readSafetensors returns it. */
export interface TensorValues {
  shape: number[];
  data: ArrayLike<number> | BigInt64Array;
}

/** A model (anything with parameters()), or name -> tensor. */
export type WeightSource =
  | { parameters(): Map<string, tf.Tensor> }
  | Map<string, tf.Tensor | TensorValues>
  | Record<string, tf.Tensor | TensorValues>;

export interface LoadWeightsOptions {
  /** names this model lacks, or weights left unfilled, are errors (default true) */
  strict?: boolean;
}

export interface LoadWeightsResult {
  /** names copied */
  loaded: string[];
  /** this model's weights the source did not fill */
  missing: string[];
  /** source names this model does not have */
  unexpected: string[];
}

function entries(source: WeightSource): Map<string, tf.Tensor | TensorValues> {
  if (source instanceof Map) return source;
  if (typeof (source as { parameters?: unknown }).parameters === "function") {
    return (source as { parameters(): Map<string, tf.Tensor> }).parameters();
  }
  return new Map(Object.entries(source as Record<string, tf.Tensor | TensorValues>));
}

const listed = (names: string[]) =>
  groupPaths(names, 12)
    .map((l) => `  ${l}`)
    .join("\n");

export function loadWeights(target: Module, source: WeightSource, opts: LoadWeightsOptions = {}): LoadWeightsResult {
  const src = entries(source);
  const own = namedParameters(target);
  // a tied weight also answers to its other names (a source may call it lm_head.weight)
  const alias = new Map<string, string>();
  const canonical = new Map([...own].map(([n, v]) => [v, n]));
  for (const [n, v] of parameterPaths(target)) if (!own.has(n)) alias.set(n, canonical.get(v)!);
  const plan = new Map<string, tf.Tensor | TensorValues>();
  const unexpected: string[] = [];
  for (const [name, t] of src) {
    const to = own.has(name) ? name : alias.get(name);
    if (!to) unexpected.push(name);
    else if (!plan.has(to) || to === name) plan.set(to, t);
  }
  const missing = [...own.keys()].filter((n) => !plan.has(n));
  if (opts.strict !== false && (missing.length || unexpected.length)) {
    const parts = [];
    if (missing.length) parts.push(`the source lacks:\n${listed(missing)}`);
    if (unexpected.length) parts.push(`the model has no:\n${listed(unexpected)}`);
    throw new Error(`loadWeights: ${parts.join("\n")}\n(pass {strict: false} to copy what matches)`);
  }
  for (const [name, t] of plan) {
    const want = own.get(name)!.shape;
    if (t.shape.join() !== want.join())
      throw new Error(`loadWeights: ${name} has shape [${t.shape}] in the source, [${want}] in the model`);
  }
  for (const [name, t] of plan) {
    const v = own.get(name)!;
    tf.tidy(() => {
      const data = t instanceof tf.Tensor || t.data instanceof Float32Array ? null : Float32Array.from(t.data as ArrayLike<number>, Number);
      const value = t instanceof tf.Tensor ? tf.cast(t, "float32") : tf.tensor(data ?? (t.data as Float32Array), t.shape, "float32");
      v.assign(value);
    });
  }
  return { loaded: [...plan.keys()], missing, unexpected };
}
