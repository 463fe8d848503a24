// Wrapping many modules at once (LoRA on every q_proj and v_proj, a hybrid mixer in every
// self_attn), and folding wrappers back into the modules they wrap.

import { kindOf, replaceModule, walkModules, type Module } from "./module.js";
import { describeMatch, endsWithPath, groupPaths, moduleMatcher, type ModuleMatch } from "./paths.js";

/** A wrapper that can fold its change into a plain module of the kind it wraps (LoRA: W + s B A). */
export interface Mergeable extends Module {
  /** the plain module to stand where the wrapper stands; called once, by mergeModules */
  merge(): Module;
}

export const isMergeable = (m: Module): m is Mergeable => typeof (m as Partial<Mergeable>).merge === "function";

/** The module paths below `root` (root excluded), folded by layer index, as an error message lists them. */
export function describeModules(root: Module): string {
  const paths = [...walkModules(root)].map(([p]) => p).filter(Boolean);
  return groupPaths(paths)
    .map((l) => `  ${l}`)
    .join("\n");
}

/** The outermost modules that `match` selects (a match inside a matched module is left to it). */
function selectModules(root: Module, match: ModuleMatch): [string, Module][] {
  const test = moduleMatcher(match);
  const out: [string, Module][] = [];
  for (const [path, m] of walkModules(root)) {
    if (path === "" || out.some(([p]) => path.startsWith(`${p}.`))) continue;
    if (test(path, m)) out.push([path, m]);
  }
  return out;
}

function noMatch(root: Module, what: string, match: ModuleMatch): Error {
  return new Error(`${what}: ${describeMatch(match)} matches no module. The modules are:\n${describeModules(root)}`);
}

/**
 * Replace every module that `match` selects with `wrap(module, path)`, outermost first (a module
 * inside one already replaced is not visited). Each replacement must keep the interface of what it
 * replaces (see replaceModule). Returns the paths replaced, in tree order.
 *
 * A match of nothing is an error that lists the model's module paths, folded by layer; so is a list
 * entry that matches nothing (a typo in ["q_proj", "v_porj"] would otherwise go unnoticed).
 */
export function replaceModules(root: Module, match: ModuleMatch, wrap: (module: Module, path: string) => Module): string[] {
  if (typeof wrap !== "function") throw new Error(`replaceModules: wrap = ${String(wrap)}: expected a function (module, path) => module`);
  const chosen = selectModules(root, match);
  if (chosen.length === 0) throw noMatch(root, "replaceModules", match);
  if (Array.isArray(match)) {
    const unused = (match as readonly string[]).filter((e) => !chosen.some(([p]) => endsWithPath(p, e)));
    if (unused.length) {
      throw new Error(`replaceModules: ${JSON.stringify(unused)} match no module. The modules are:\n${describeModules(root)}`);
    }
  }
  for (const [path, m] of chosen) replaceModule(root, path, wrap(m, path));
  return chosen.map(([p]) => p);
}

/**
 * Put back, in place of every selected wrapper that offers merge(), the plain module it merges into
 * (default: every such wrapper in the tree). Returns the paths merged. A selected module that cannot
 * merge is an error naming it.
 */
export function mergeModules(root: Module, match?: ModuleMatch): string[] {
  const chosen = match === undefined ? selectModules(root, (_, m) => isMergeable(m)) : selectModules(root, match);
  if (match !== undefined && chosen.length === 0) throw noMatch(root, "mergeModules", match);
  const stuck = chosen.filter(([, m]) => !isMergeable(m));
  if (stuck.length) {
    throw new Error(`mergeModules: ${stuck.map(([p, m]) => `${p} (${kindOf(m)})`).join(", ")} offers no merge()`);
  }
  for (const [path, m] of chosen) replaceModule(root, path, (m as Mergeable).merge());
  return chosen.map(([p]) => p);
}
