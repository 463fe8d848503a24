// Which subnetworks a call should apply: sr.diffprune.mask("gender"), mask(["gender", "age"]) or
// mask([]) (none: the core as it is). The names are checked against a core when it is used
// (core.with), so one selection can serve several cores.

import { ArgumentError } from "../errors.js";

export class MaskSelection {
  constructor(readonly names: readonly string[]) {}

  toString(): string {
    return this.names.length ? `mask(${this.names.join(" + ")})` : "mask(none)";
  }
}

/** A selection of subnetworks by name (attribute names, or a merged subnetwork's name). */
export function mask(names: string | readonly string[]): MaskSelection {
  const list = typeof names === "string" ? [names] : names;
  if (!Array.isArray(list) || list.some((n) => typeof n !== "string" || n === "")) {
    throw new ArgumentError("names", names, "a subnetwork name or a list of names", "diffprune.mask");
  }
  const dup = list.find((n, i) => list.indexOf(n) !== i);
  if (dup !== undefined) throw new ArgumentError("names", names, `distinct names ("${dup}" is listed twice)`, "diffprune.mask");
  return new MaskSelection([...list]);
}
