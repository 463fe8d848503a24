// Capturing what chosen modules read and return during one forward (a teacher's attention inputs
// and outputs for layer-wise distillation, a layer's activations for a look inside).

import * as tf from "@tensorflow/tfjs-core";
import { walkModules, type Hooks, type Module } from "../nn/module.js";
import { describeMatch, moduleMatcher, type ModuleMatch } from "../nn/paths.js";
import { describeModules } from "../nn/replace.js";

export interface Captured {
  /** the module's first argument (kept) */
  input: tf.Tensor;
  /** the module's output (kept) */
  output: tf.Tensor;
}

interface Hookable extends Module {
  hook(name: string, hooks: Hooks): () => void;
}

/**
 * Hook every module of `model` that `match` selects, call `run` (which runs one forward; it gets
 * whether the logits are needed, i.e. whether a module under lm_head is captured), and return kept
 * copies of each module's input and output by path.
 */
export function captureModules(model: Hookable, match: ModuleMatch, run: (needLogits: boolean) => void): Map<string, Captured> {
  const test = moduleMatcher(match);
  const paths = [...walkModules(model)].filter(([p, m]) => p !== "" && test(p, m)).map(([p]) => p);
  if (paths.length === 0)
    throw new Error(`capture: ${describeMatch(match)} matches no module. The modules are:\n${describeModules(model)}`);
  const inputs = new Map<string, tf.Tensor>();
  const out = new Map<string, Captured>();
  const keep = (map: Map<string, tf.Tensor>, path: string, t: tf.Tensor) => {
    map.get(path)?.dispose();
    map.set(path, tf.keep(t.clone()));
  };
  const outputs = new Map<string, tf.Tensor>();
  const removers = paths.map((p) =>
    model.hook(p, {
      input: (x) => keep(inputs, p, x),
      output: (y) => keep(outputs, p, y),
    }),
  );
  try {
    run(paths.some((p) => p === "lm_head" || p.startsWith("lm_head.")));
  } catch (e) {
    tf.dispose([...inputs.values(), ...outputs.values()]);
    throw e;
  } finally {
    for (const r of removers) r();
  }
  for (const p of paths) {
    const input = inputs.get(p);
    const output = outputs.get(p);
    if (input && output) out.set(p, { input, output });
    else tf.dispose([input, output].filter((t): t is tf.Tensor => !!t));
  }
  return out;
}
