// Containers whose children sit in named fields (SelfAttention's q_proj, a layer's mlp): listing
// and swapping them is the same code for every such class, so it lives here once.

import type { Module } from "./module.js";

/** The children held in `self[name]` for each name, in order; empty (null) slots are skipped. */
export function* fieldChildren(self: object, names: readonly string[]): Iterable<[string, Module]> {
  for (const n of names) {
    const m = (self as Record<string, Module | null | undefined>)[n];
    if (m) yield [n, m];
  }
}

/**
 * Put `module` in the field `name` of `self`. Only a listed, non-empty slot can be swapped (an absent
 * optional part such as OLMo2's q_norm on Llama is not a slot); `check` may refuse a replacement.
 */
export function setFieldChild(
  self: object,
  kind: string,
  names: readonly string[],
  name: string,
  module: Module,
  check?: (name: string, module: Module) => void,
): void {
  const fields = self as Record<string, Module | null | undefined>;
  if (!names.includes(name) || !fields[name]) {
    const present = [...fieldChildren(self, names)].map(([n]) => n);
    throw new Error(`${kind} has no child "${name}" (children: ${present.join(", ")})`);
  }
  check?.(name, module);
  fields[name] = module;
}
