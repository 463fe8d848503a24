// Which parameters train, and with what learning rate and weight decay. `params` is a predicate on
// Hugging Face names, a list of names, or groups [{match, lr, weightDecay}]; the rest stay frozen.

import type * as tf from "@tensorflow/tfjs-core";

export type NameMatch = string | RegExp | string[] | ((name: string) => boolean);

export interface ParamGroup {
  match: NameMatch;
  /** this group's peak learning rate (default: fit's lr); the schedule scales it */
  lr?: number;
  /** default: fit's weightDecay on matrices, 0 on norms and biases */
  weightDecay?: number;
}

export type ParamsOption = ((name: string) => boolean) | string[] | ParamGroup[];

export interface Trainable {
  variable: tf.Variable;
  /** peak lr of this parameter's group */
  lr: number;
  weightDecay: number;
}

function matcher(m: NameMatch): (name: string) => boolean {
  if (typeof m === "function") return m;
  if (m instanceof RegExp) return (n) => m.test(n);
  if (Array.isArray(m)) {
    const set = new Set(m);
    return (n) => set.has(n);
  }
  return (n) => n === m || n.startsWith(m.endsWith(".") ? m : `${m}.`) || n.includes(m);
}

/** Norm gains and biases (1-D) get no decay by default. */
export const decays = (v: tf.Variable) => v.shape.length >= 2;

export function resolveParams(
  all: Map<string, tf.Variable>,
  opt: ParamsOption | undefined,
  lr: number,
  weightDecay: number,
): Map<string, Trainable> {
  const out = new Map<string, Trainable>();
  const add = (name: string, v: tf.Variable, g: ParamGroup | null) => {
    if (out.has(name)) return;
    out.set(name, { variable: v, lr: g?.lr ?? lr, weightDecay: g?.weightDecay ?? (decays(v) ? weightDecay : 0) });
  };
  if (opt === undefined) {
    for (const [n, v] of all) add(n, v, null);
  } else if (typeof opt === "function") {
    for (const [n, v] of all) if (opt(n)) add(n, v, null);
  } else if (opt.every((x) => typeof x === "string")) {
    for (const n of opt as string[]) {
      const v = all.get(n);
      if (!v) throw new Error(`fit: params names "${n}", which the model does not have (e.g. ${[...all.keys()].slice(0, 3).join(", ")})`);
      add(n, v, null);
    }
  } else {
    (opt as ParamGroup[]).forEach((g, i) => {
      if (typeof g !== "object" || g === null || !("match" in g))
        throw new Error(`fit: params[${i}] = ${String(g)}: expected {match, lr?, weightDecay?}`);
      if (g.lr !== undefined && !(g.lr >= 0)) throw new Error(`fit: params[${i}].lr = ${g.lr}: expected a number >= 0`);
      if (g.weightDecay !== undefined && !(g.weightDecay >= 0))
        throw new Error(`fit: params[${i}].weightDecay = ${g.weightDecay}: expected a number >= 0`);
      const f = matcher(g.match);
      let hit = false;
      for (const [n, v] of all)
        if (f(n)) {
          add(n, v, g);
          hit = true;
        }
      if (!hit) throw new Error(`fit: params[${i}].match = ${String(g.match)} matches no parameter`);
    });
  }
  if (out.size === 0) throw new Error("fit: params selects no parameter to train");
  return out;
}
