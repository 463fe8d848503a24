// Freezing: a parameter whose tf.Variable has trainable = false gets no gradient and no update
// (sr.train.fit skips it; tf.variableGrads does too). A tied weight is one variable: freezing it
// under either of its names freezes it under both.

import type * as tf from "@tensorflow/tfjs-core";
import { namedParameters, parameterPaths, type Module } from "./module.js";
import { describeMatch, groupPaths, paramMatcher, type ParamMatch } from "./paths.js";

function setTrainable(root: Module, match: ParamMatch | undefined, on: boolean, what: string): string[] {
  const test = paramMatcher(match);
  const hit = new Set<tf.Variable>();
  for (const [name, v] of parameterPaths(root)) if (test(name)) hit.add(v);
  if (hit.size === 0) {
    const names = groupPaths(namedParameters(root).keys()).map((l) => `  ${l}`);
    throw new Error(`${what}: ${describeMatch(match)} matches no parameter. The parameters are:\n${names.join("\n")}`);
  }
  const out: string[] = [];
  for (const [name, v] of namedParameters(root)) {
    if (!hit.has(v)) continue;
    v.trainable = on;
    out.push(name);
  }
  return out;
}

/** Mark the matched parameters (default: all) as not trainable; returns their names. */
export function freeze(root: Module, match?: ParamMatch): string[] {
  return setTrainable(root, match, false, "freeze");
}

/** Mark the matched parameters (default: all) as trainable; returns their names. */
export function unfreeze(root: Module, match?: ParamMatch): string[] {
  return setTrainable(root, match, true, "unfreeze");
}

/** The parameters that train, by name (tied weights once). */
export function trainableParameters(root: Module): Map<string, tf.Variable> {
  return new Map([...namedParameters(root)].filter(([, v]) => v.trainable));
}
