// Which parameters train, and with what learning rate and weight decay. `params` is a predicate on
// Hugging Face names, a list of names, or groups [{match, lr, weightDecay}]; the rest stay as they are.
//
// Frozen parameters (model.freeze, trainable = false) stay frozen under patterns: without `params`,
// and under a predicate, RegExp or name fragment, only trainable parameters are chosen. Naming a
// parameter exactly (a list of names, or a group whose match is a full name or a list) says
// otherwise: it trains even when frozen.

import type * as tf from "@tensorflow/tfjs-core";
import { ArgumentError } from "../errors.js";
import { groupPaths } from "../nn/paths.js";

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

/** True when `m` names parameters exactly (a list, or a string equal to `name`): frozen ones then train too. */
const names = (m: NameMatch, name: string) => Array.isArray(m) || m === name;

/** Norm gains and biases (1-D) get no decay by default. */
export const decays = (v: tf.Variable) => v.shape.length >= 2;

const some = (list: string[]) =>
  groupPaths(list, 6)
    .map((l) => `  ${l}`)
    .join("\n");

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
    for (const [n, v] of all) if (v.trainable) add(n, v, null);
    if (out.size === 0) throw new Error("fit: every parameter is frozen; unfreeze some (model.unfreeze(match)) or name them in params");
  } else if (typeof opt === "function") {
    for (const [n, v] of all) if (v.trainable && opt(n)) add(n, v, null);
  } else if (opt.every((x) => typeof x === "string")) {
    for (const n of opt as string[]) {
      const v = all.get(n);
      if (!v) throw new Error(`fit: params names "${n}", which the model does not have (e.g. ${[...all.keys()].slice(0, 3).join(", ")})`);
      add(n, v, null);
    }
  } else {
    (opt as ParamGroup[]).forEach((g, i) => {
      if (typeof g !== "object" || g === null || !("match" in g))
        throw new ArgumentError(`params[${i}]`, g, "{match, lr?, weightDecay?}", "fit");
      if (g.lr !== undefined && !(g.lr >= 0)) throw new ArgumentError(`params[${i}].lr`, g.lr, "a number >= 0", "fit");
      if (g.weightDecay !== undefined && !(g.weightDecay >= 0))
        throw new ArgumentError(`params[${i}].weightDecay`, g.weightDecay, "a number >= 0", "fit");
      const f = matcher(g.match);
      const frozen: string[] = [];
      let hit = false;
      for (const [n, v] of all) {
        if (!f(n)) continue;
        if (!v.trainable && !names(g.match, n)) {
          frozen.push(n);
          continue;
        }
        add(n, v, g);
        hit = true;
      }
      if (!hit && frozen.length) {
        throw new Error(
          `fit: params[${i}].match = ${String(g.match)} matches only frozen parameters:\n${some(frozen)}\nunfreeze them (model.unfreeze(...)) or name them in a list to train them`,
        );
      }
      if (!hit) throw new Error(`fit: params[${i}].match = ${String(g.match)} matches no parameter`);
    });
  }
  if (out.size === 0) throw new Error("fit: params selects no trainable parameter (frozen ones train only when named in a list)");
  return out;
}
