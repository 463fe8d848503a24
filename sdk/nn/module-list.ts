// An indexed list of modules (children "0", "1", ...), e.g. the decoder layers.

import type { Module } from "./module.js";

export class ModuleList<M extends Module = Module> implements Module {
  constructor(readonly items: M[]) {}

  get length(): number {
    return this.items.length;
  }

  forward(): never {
    throw new Error("ModuleList is a container: call its items");
  }

  *namedChildren(): Iterable<[string, Module]> {
    for (let i = 0; i < this.items.length; i++) yield [String(i), this.items[i]];
  }

  setChild(name: string, module: Module): void {
    const i = Number(name);
    if (!/^\d+$/.test(name) || i >= this.items.length) {
      throw new Error(`ModuleList has no child "${name}" (children: 0..${this.items.length - 1})`);
    }
    this.items[i] = module as M;
  }
}
