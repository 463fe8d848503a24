// The module tree: any object with a `forward` can sit in it. Containers list their children and
// can swap one; leaves list their parameters. Names are Hugging Face paths
// ("model.layers.3.self_attn.q_proj"), so parameter names are checkpoint names.
//
// Hooks: a parent calls a child through `callModule`, which runs the input/output hooks that the
// running model registered for that child (see `withHooks`). Hooks see tensors that live only
// inside the forward's tf.tidy: read them synchronously or tf.keep a clone.

import type * as tf from "@tensorflow/tfjs-core";

export interface Module {
  // biome-ignore lint/suspicious/noExplicitAny: each module type declares its own forward arguments
  forward(...args: any[]): tf.Tensor;
  /** parameters held directly by this module, by local name ("weight", "bias") */
  namedParameters?(): Iterable<[string, tf.Variable]>;
  /** child modules, by local name ("q_proj", "0") */
  namedChildren?(): Iterable<[string, Module]>;
  /** swap the child called `name` (containers only) */
  setChild?(name: string, module: Module): void;
}

/** A linear map on the last axis: x [..., in] -> y [..., out]. */
export interface LinearModule extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  forward(x: tf.Tensor): tf.Tensor;
}

/** The batch a forward runs on, as hooks see it. Tensors live during the forward only. */
export interface HookBatch {
  /** [B, T] 1 = real token, 0 = padding, for the tokens of this forward (all ones without padding) */
  attentionMask: tf.Tensor2D;
  /** [B, T] int32 labels of this batch (-100 = ignored), when the caller passed labels; else null */
  labels: tf.Tensor2D | null;
}

/** What a hook gets besides the tensor. */
export interface HookCall {
  /** the hooked module */
  module: Module;
  /** every argument the module was called with (args[0] is its input) */
  args: readonly unknown[];
  /** the batch's attention mask and labels, when the module runs inside a model's forward; null otherwise */
  batch: HookBatch | null;
}

/**
 * Watchers of one module. Modules that read the same tensor get the same tf.Tensor object: q_proj,
 * k_proj and v_proj of one attention block see one `x` (equal `x.id`), so shared inputs can be told
 * apart from merely equal ones without hashing.
 */
export interface Hooks {
  /** called with the module's first argument before it runs */
  input?: (x: tf.Tensor, call: HookCall) => void;
  /** called with the module's output */
  output?: (y: tf.Tensor, call: HookCall) => void;
}

let active: Map<Module, Hooks[]> | null = null;
let activeBatch: HookBatch | null = null;

/**
 * Run `fn` with `hooks` (module -> hooks) active, and `batch` as what they see of the batch;
 * nested runs (a teacher inside a student) restore the outer set.
 */
export function withHooks<T>(hooks: Map<Module, Hooks[]>, fn: () => T, batch: HookBatch | null = null): T {
  const outer = active;
  const outerBatch = activeBatch;
  active = hooks.size ? hooks : null;
  activeBatch = batch;
  try {
    return fn();
  } finally {
    active = outer;
    activeBatch = outerBatch;
  }
}

/** Call a child module, running any hooks registered for it. */
export function callModule<M extends Module>(m: M, ...args: Parameters<M["forward"]>): ReturnType<M["forward"]> {
  const hooks = active?.get(m);
  const call: HookCall | null = hooks ? { module: m, args, batch: activeBatch } : null;
  if (hooks) for (const h of hooks) h.input?.(args[0] as tf.Tensor, call!);
  const y = m.forward(...args) as ReturnType<M["forward"]>;
  if (hooks) for (const h of hooks) h.output?.(y, call!);
  return y;
}

/**
 * Children that a seam hangs under a module without the module knowing (a parametrised weight's
 * parametrisation lives under "<leaf>.parametrizations"). They take part in every walk.
 */
const attached = new WeakMap<Module, Map<string, Module>>();

export function attachChild(m: Module, name: string, child: Module): void {
  if (!attached.has(m)) attached.set(m, new Map());
  attached.get(m)!.set(name, child);
}

export function detachChild(m: Module, name: string): void {
  const kids = attached.get(m);
  kids?.delete(name);
  if (kids?.size === 0) attached.delete(m);
}

export function childrenOf(m: Module): [string, Module][] {
  const own: [string, Module][] = m.namedChildren ? [...m.namedChildren()] : [];
  const extra = attached.get(m);
  return extra ? [...own, ...extra] : own;
}

/** Every module below `root` (root included as ""), depth first, with its dotted path. */
export function* walkModules(root: Module, prefix = ""): Generator<[string, Module]> {
  yield [prefix, root];
  for (const [name, child] of childrenOf(root)) yield* walkModules(child, prefix ? `${prefix}.${name}` : name);
}

/** Every (path, variable) pair, aliases included: a tied weight appears under each name that holds it. */
export function* parameterPaths(root: Module): Generator<[string, tf.Variable]> {
  for (const [path, m] of walkModules(root)) {
    for (const [name, v] of m.namedParameters ? m.namedParameters() : []) yield [path ? `${path}.${name}` : name, v];
  }
}

/** All parameters by dotted path; a variable reachable twice (tied weights) is listed once, first path wins. */
export function namedParameters(root: Module): Map<string, tf.Variable> {
  const out = new Map<string, tf.Variable>();
  const seen = new Set<tf.Variable>();
  for (const [path, v] of parameterPaths(root)) {
    if (seen.has(v)) continue;
    seen.add(v);
    out.set(path, v);
  }
  return out;
}

/** The module at a dotted path; the error lists what exists where the path stops matching. */
export function getModule(root: Module, path: string): Module {
  if (path === "") return root;
  let m = root;
  let at = "";
  for (const part of path.split(".")) {
    const kids = childrenOf(m);
    const next = kids.find(([n]) => n === part);
    if (!next) {
      const names = kids.map(([n]) => n);
      const shown = names.length > 12 ? [...names.slice(0, 12), "..."] : names;
      throw new Error(
        `no module "${path}": ${at ? `"${at}"` : "the model"} has ${names.length ? `children ${shown.join(", ")}` : "no children"}, not "${part}"`,
      );
    }
    m = next[1];
    at = at ? `${at}.${part}` : part;
  }
  return m;
}

/**
 * Swap the module at `path` for `replacement`. The replacement must implement the same interface
 * (a `forward` taking the same arguments); for linears, declared in/out features must match.
 */
export function replaceModule(root: Module, path: string, replacement: Module): Module {
  if (!replacement || typeof replacement.forward !== "function") {
    throw new Error(`replaceModule("${path}"): the replacement has no forward() method`);
  }
  if (path === "") throw new Error(`replaceModule(""): the root cannot be replaced; replace its parts`);
  const cut = path.lastIndexOf(".");
  const parentPath = cut < 0 ? "" : path.slice(0, cut);
  const name = path.slice(cut + 1);
  const old = getModule(root, path);
  const parent = getModule(root, parentPath);
  for (const k of ["inFeatures", "outFeatures"] as const) {
    const a = (old as Partial<LinearModule>)[k];
    const b = (replacement as Partial<LinearModule>)[k];
    if (a !== undefined && b !== undefined && a !== b) {
      throw new Error(`replaceModule("${path}"): ${k} ${b} does not match the module it replaces (${a})`);
    }
  }
  if (!parent.setChild) throw new Error(`replaceModule("${path}"): "${parentPath}" cannot swap its children`);
  parent.setChild(name, replacement);
  return old;
}

/** A module's class name for messages ("LoraLinear"), or "an object" for plain objects. */
export function kindOf(m: Module): string {
  const name = (m as object).constructor?.name;
  return name && name !== "Object" ? name : "an object";
}
