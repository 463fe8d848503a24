// Choosing modules and parameters by name, and listing a model's names short enough to read:
// a 32-layer model has thousands of paths but a few dozen shapes of path.

import type { Module } from "./module.js";

/**
 * Which modules: a RegExp tested against the dotted path, a list of names (each matches the path
 * itself or any path ending in "." + name, as PEFT's target_modules do: "q_proj" matches every
 * layer's q_proj), or a predicate.
 */
export type ModuleMatch = RegExp | string | readonly string[] | ((path: string, module: Module) => boolean);

/**
 * Which parameters: a RegExp tested against the parameter name, a name or module path (a path
 * matches every parameter under it: "model.layers.0" or "lm_head"), a list of those, or a predicate.
 */
export type ParamMatch = RegExp | string | readonly string[] | ((name: string) => boolean);

export function describeMatch(m: ModuleMatch | ParamMatch | undefined): string {
  if (m === undefined) return "(everything)";
  if (typeof m === "function") return "the predicate";
  if (m instanceof RegExp) return String(m);
  return JSON.stringify(m);
}

/** True when `path` is `entry` or ends with "." + entry. */
export const endsWithPath = (path: string, entry: string) => path === entry || path.endsWith(`.${entry}`);

/** True when `name` is `entry` or lies under it ("model.layers.0" holds "model.layers.0.mlp.up_proj.weight"). */
export const underPath = (name: string, entry: string) => name === entry || name.startsWith(`${entry}.`);

/** A copy without the g and y flags, whose test() would otherwise carry lastIndex from one path to the next. */
const stateless = (re: RegExp) => new RegExp(re.source, re.flags.replace(/[gy]/g, ""));

export function moduleMatcher(m: ModuleMatch): (path: string, module: Module) => boolean {
  if (typeof m === "function") return m;
  if (m instanceof RegExp) {
    const re = stateless(m);
    return (p) => re.test(p);
  }
  const list = typeof m === "string" ? [m] : m;
  return (p) => list.some((e) => endsWithPath(p, e));
}

export function paramMatcher(m: ParamMatch | undefined): (name: string) => boolean {
  if (m === undefined) return () => true;
  if (typeof m === "function") return m;
  if (m instanceof RegExp) {
    const re = stateless(m);
    return (n) => re.test(n);
  }
  const list = typeof m === "string" ? [m] : m;
  return (n) => list.some((e) => underPath(n, e));
}

function range(values: number[]): string {
  const sorted = [...new Set(values)].sort((a, b) => a - b);
  if (sorted.length === 1) return String(sorted[0]);
  const contiguous = sorted.every((v, i) => i === 0 || v === sorted[i - 1] + 1);
  return contiguous ? `{${sorted[0]}..${sorted.at(-1)}}` : `{${sorted.join(",")}}`;
}

/**
 * Paths with their numeric parts folded: "model.layers.0.mlp" ... "model.layers.31.mlp" become
 * "model.layers.{0..31}.mlp". Order of first appearance is kept; at most `limit` lines.
 */
export function groupPaths(paths: Iterable<string>, limit = 60): string[] {
  const groups = new Map<string, number[][]>();
  for (const p of paths) {
    const parts = p.split(".");
    const key = parts.map((s) => (/^\d+$/.test(s) ? "#" : s)).join(".");
    const nums = parts.filter((s) => /^\d+$/.test(s)).map(Number);
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key)!.push(nums);
  }
  const lines = [...groups].map(([key, tuples]) => {
    let k = 0;
    return key
      .split(".")
      .map((s) => {
        if (s !== "#") return s;
        const slot = k++;
        return range(tuples.map((t) => t[slot]));
      })
      .join(".");
  });
  return lines.length > limit ? [...lines.slice(0, limit), `... (${lines.length - limit} more)`] : lines;
}
