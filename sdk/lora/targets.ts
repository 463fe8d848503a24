// Which linears an adapter wraps: PEFT's target_modules semantics on Stillroom's module paths (a
// name matches the path or any path ending in "." + name; a RegExp or predicate tests the path).
// A target that selects no linear is an error listing the linear layers there are.

import { Linear } from "../nn/linear.js";
import { kindOf, type Module, walkModules } from "../nn/module.js";
import { describeMatch, endsWithPath, groupPaths, type ModuleMatch, moduleMatcher } from "../nn/paths.js";
import { LoraLinear } from "./layer.js";

/** Every Linear below root (paths in tree order), not looking inside LoRA wrappers. */
export function linearPaths(root: Module): Map<string, Linear> {
  const out = new Map<string, Linear>();
  const inside: string[] = [];
  for (const [path, m] of walkModules(root)) {
    if (inside.some((w) => path.startsWith(`${w}.`))) continue;
    if (m instanceof LoraLinear) inside.push(path);
    else if (path && m instanceof Linear) out.set(path, m);
  }
  return out;
}

/** The linear layers as an error message lists them: their short names, then the paths folded by layer. */
export function describeLinears(root: Module): string {
  const paths = [...linearPaths(root).keys()];
  const short = [...new Set(paths.map((p) => p.slice(p.lastIndexOf(".") + 1)))];
  return `names ${short.join(", ")}; paths:\n${groupPaths(paths)
    .map((l) => `  ${l}`)
    .join("\n")}`;
}

/** The paths of the linears `targets` selects; `where` names the caller in errors. */
export function selectLinears(root: Module, targets: ModuleMatch, where: string): string[] {
  const linears = linearPaths(root);
  const test = moduleMatcher(targets);
  const chosen = [...linears].filter(([p, m]) => test(p, m)).map(([p]) => p);
  const list = typeof targets === "string" ? [targets] : Array.isArray(targets) ? (targets as readonly string[]) : null;
  for (const entry of list ?? []) {
    if (chosen.some((p) => endsWithPath(p, entry))) continue;
    const other = [...walkModules(root)].find(([p]) => p && endsWithPath(p, entry));
    const why = other ? ` (it names ${other[0]}, a ${kindOf(other[1])}, not a linear layer)` : "";
    throw new Error(
      `${where}: targets entry ${JSON.stringify(entry)} matches no linear layer${why}. The linear layers are ${describeLinears(root)}`,
    );
  }
  if (chosen.length === 0)
    throw new Error(`${where}: targets ${describeMatch(targets)} match no linear layer. The linear layers are ${describeLinears(root)}`);
  return chosen;
}

/**
 * target_modules for adapter_config.json: the short names ("q_proj") when they select exactly the
 * wrapped paths under PEFT's matching, else the full paths.
 */
export function targetModules(root: Module, wrapped: readonly string[]): string[] {
  const set = new Set(wrapped);
  const short = [...new Set(wrapped.map((p) => p.slice(p.lastIndexOf(".") + 1)))].sort();
  const paths: string[] = [];
  const inside: string[] = [];
  for (const [path, m] of walkModules(root)) {
    if (!path || inside.some((w) => path.startsWith(`${w}.`))) continue;
    if (m instanceof LoraLinear) inside.push(path);
    paths.push(path);
  }
  const exact = paths.every((p) => set.has(p) || !short.some((s) => endsWithPath(p, s)));
  return exact ? short : [...wrapped].sort();
}
