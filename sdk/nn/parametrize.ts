// Weight parametrisation, in the spirit of torch.nn.utils.parametrize: a module's stored weight W
// stays where it is (same variable, same name), and the forward computes with P(W) instead, e.g.
// W + delta or W + z * w. P is a module: its own tensors are listed under
// "<module>.parametrizations.<weight>.<name>", so they train, freeze and checkpoint like any other.
// Removing P gives back W untouched (bit for bit), or, with merge, writes P(W) into W.
//
// A module's forward reads its weights through `parametrized(this, "weight", this.weight)`; the
// core's Linear, Embedding and RMSNorm do, so any linear, embedding or norm can be parametrised.
// A tied weight (lm_head sharing embed_tokens) is one variable: it is parametrised under every
// name that holds it, together, never under one alone.

import * as tf from "@tensorflow/tfjs-core";
import { attachChild, callModule, detachChild, kindOf, type Module, parameterPaths, walkModules } from "./module.js";
import { withTraining } from "./mode.js";
import { groupPaths } from "./paths.js";

/** P: the stored weight -> the weight the forward uses. Runs inside the forward's tf.tidy; keeps the shape. */
export interface Parametrization extends Module {
  forward(stored: tf.Tensor): tf.Tensor;
}

/** module -> weight name -> P */
const registry = new WeakMap<Module, Map<string, Parametrization>>();

/** The module hung under "<leaf>.parametrizations": one child per parametrised weight. */
class ParametrizationList implements Module {
  constructor(private readonly owner: Module) {}

  forward(): never {
    throw new Error("parametrizations is a container: its modules run when the weight is read");
  }

  *namedChildren(): Iterable<[string, Module]> {
    yield* registry.get(this.owner) ?? [];
  }
}

/** The tensor a module computes with for its weight `name`: P(stored) when parametrised, else `stored`. */
export function parametrized<T extends tf.Tensor>(module: Module, name: string, stored: T): T {
  const p = registry.get(module)?.get(name);
  return p ? (callModule(p, stored) as T) : stored;
}

/** Every (module, local name) in `root` holding the variable named `path`, with each full name. */
function holders(root: Module, path: string): { variable: tf.Variable; at: { module: Module; name: string; path: string }[] } {
  let variable: tf.Variable | undefined;
  for (const [n, v] of parameterPaths(root)) if (n === path) variable = v;
  if (!variable) {
    const names = groupPaths([...parameterPaths(root)].map(([n]) => n)).map((l) => `  ${l}`);
    throw new Error(`no parameter "${path}". The parameters are:\n${names.join("\n")}`);
  }
  const at: { module: Module; name: string; path: string }[] = [];
  for (const [mp, m] of walkModules(root)) {
    for (const [n, v] of m.namedParameters ? m.namedParameters() : []) {
      if (v === variable) at.push({ module: m, name: n, path: mp ? `${mp}.${n}` : n });
    }
  }
  return { variable, at };
}

/**
 * Make the forward compute with `p(W)` wherever the weight named `path` is read. The weight stays
 * stored (and named) as before; freeze it to train only p's tensors. A tied weight is parametrised
 * under every name that holds it. Returns those names.
 */
export function parametrize(root: Module, path: string, p: Parametrization): string[] {
  if (!p || typeof p.forward !== "function") throw new Error(`parametrize("${path}"): the parametrisation has no forward() method`);
  const { variable, at } = holders(root, path);
  for (const h of at) {
    const old = registry.get(h.module)?.get(h.name);
    if (old) throw new Error(`parametrize("${path}"): ${h.path} is already parametrised by ${kindOf(old)}; unparametrize it first`);
  }
  const shape = tf.tidy(() => withTraining(false, () => p.forward(variable).shape));
  if (shape.join() !== variable.shape.join()) {
    throw new Error(`parametrize("${path}"): ${kindOf(p)} maps [${variable.shape}] to [${shape}]; it must keep the shape`);
  }
  for (const h of at) {
    if (!registry.has(h.module)) {
      registry.set(h.module, new Map());
      attachChild(h.module, "parametrizations", new ParametrizationList(h.module));
    }
    registry.get(h.module)!.set(h.name, p);
  }
  return at.map((h) => h.path);
}

export interface UnparametrizeOptions {
  /** write P(W), computed in evaluation mode, into the stored weight (default false: W as it was) */
  merge?: boolean;
}

/**
 * Remove the parametrisation of the weight named `path` (under every name of a tied weight) and
 * return it, so that its tensors can be disposed or kept. Without `merge`, the stored weight is
 * untouched and the forward is again exactly what it was before parametrize.
 */
export function unparametrize(root: Module, path: string, opts: UnparametrizeOptions = {}): Parametrization {
  const { variable, at } = holders(root, path);
  const p = at.map((h) => registry.get(h.module)?.get(h.name)).find(Boolean);
  if (!p) throw new Error(`unparametrize("${path}"): the weight is not parametrised`);
  if (opts.merge) {
    tf.tidy(() => withTraining(false, () => variable.assign(p.forward(variable))));
  }
  for (const h of at) {
    const map = registry.get(h.module);
    map?.delete(h.name);
    if (map?.size === 0) {
      registry.delete(h.module);
      detachChild(h.module, "parametrizations");
    }
  }
  return p;
}

/** Every parametrised weight in `root`, by name (a tied weight under each of its names). */
export function parametrizations(root: Module): Map<string, Parametrization> {
  const out = new Map<string, Parametrization>();
  for (const [mp, m] of walkModules(root)) {
    for (const [n, p] of registry.get(m) ?? []) out.set(mp ? `${mp}.${n}` : n, p);
  }
  return out;
}
