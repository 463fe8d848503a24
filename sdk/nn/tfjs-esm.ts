// Loading tfjs-core's ES-module side files in Node.
//
// The Node entry of @tensorflow/tfjs-core (dist/tf-core.node.js, CommonJS) leaves gradient
// registration to an opt-in side-effect module (dist/register_all_gradients.js) that ships only as
// ES modules with extension-less imports ('../ops/neg'), which Node cannot load. This loader
// evaluates such a file with its imports bound to the public tf namespace of the CommonJS build
// (ops, kernel names, backend_util, util, slice_util), so the official definitions run unchanged
// against the one tf instance in use.

import * as tf from "@tensorflow/tfjs-core";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, normalize } from "node:path";

export type EsmExports = Record<string, unknown>;

/** dist/ of the tfjs-core that `import "@tensorflow/tfjs-core"` resolves to. */
export const TFJS_DIST = dirname(createRequire(import.meta.url).resolve("@tensorflow/tfjs-core"));

const anyNs = (o: unknown) => o as Record<string, unknown>;

function namespaceFor(id: string): unknown {
  if (id === "util") return tf.util;
  if (id === "ops/broadcast_util" || id === "ops/axis_util") return tf.backend_util;
  throw new Error(`no namespace binding for ${id}`);
}

function bind(id: string, name: string, local: (id: string) => EsmExports): unknown {
  if (id.startsWith("gradients/")) return local(id)[name];
  if (id === "engine" && name === "ENGINE") return tf.engine();
  if (id === "base" && name === "backend_util") return tf.backend_util;
  if (id === "util") return anyNs(tf.util)[name];
  for (const ns of [tf, tf.backend_util, tf.util, anyNs(tf).slice_util]) {
    if (ns && name in anyNs(ns)) return anyNs(ns)[name];
  }
  throw new Error(`cannot bind ${name} from ${id}`);
}

const cache = new Map<string, EsmExports>();

/** Evaluate dist/<id>.js (e.g. "gradients/Neg_grad") and return its exports. */
export function loadTfjsModule(id: string): EsmExports {
  const hit = cache.get(id);
  if (hit) return hit;
  const src = readFileSync(join(TFJS_DIST, `${id}.js`), "utf8");
  const here = dirname(id);
  const resolve = (spec: string) => normalize(join(here, spec)).replace(/\\/g, "/");
  const names: string[] = [];
  const values: unknown[] = [];
  let body = src.replace(/^import \* as (\w+) from '([^']+)';$/gm, (_m, alias: string, spec: string) => {
    names.push(alias);
    values.push(namespaceFor(resolve(spec)));
    return "";
  });
  body = body.replace(/^import \{([^}]*)\} from '([^']+)';$/gm, (_m, specs: string, spec: string) => {
    for (const s of specs
      .split(",")
      .map((x) => x.trim())
      .filter(Boolean)) {
      const [name, alias = name] = s.split(/\s+as\s+/);
      names.push(alias);
      values.push(bind(resolve(spec), name, loadTfjsModule));
    }
    return "";
  });
  const exported: string[] = [];
  body = body.replace(/^export (const|function|let|class) (\w+)/gm, (_m, kind: string, name: string) => {
    exported.push(name);
    return `${kind} ${name}`;
  });
  if (/^\s*(import|export)\s/m.test(body)) throw new Error(`unsupported module syntax in ${id}`);
  const out = new Function(...names, `"use strict";\n${body}\nreturn { ${exported.join(", ")} };`)(...values) as EsmExports;
  cache.set(id, out);
  return out;
}

/** The modules an aggregator file (register_all_*.js) imports, as dist-relative ids, with the names imported. */
export function listedModules(aggregatorId: string): { id: string; names: string[] }[] {
  const src = readFileSync(join(TFJS_DIST, `${aggregatorId}.js`), "utf8");
  const here = dirname(aggregatorId);
  const out: { id: string; names: string[] }[] = [];
  for (const m of src.matchAll(/^import (?:\{([^}]*)\} from )?'([^']+)';$/gm)) {
    const names = (m[1] ?? "")
      .split(",")
      .map((x) => x.trim())
      .filter(Boolean);
    out.push({ id: normalize(join(here, m[2])).replace(/\\/g, "/"), names });
  }
  return out;
}
