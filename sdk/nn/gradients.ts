// Register tfjs-core's gradients in Node: the CommonJS entry registers none (upstream, the
// @tensorflow/tfjs union bundle does it, and that package is not a dependency here). Registers
// every config listed in dist/register_all_gradients.js that has no gradient yet, from the official
// sources (see tfjs-esm.ts); configs whose imports are internal-only (conv/pool backprops) are
// skipped. Idempotent; importing this module once per process is enough.

import * as tf from "@tensorflow/tfjs-core";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { listedModules, loadTfjsModule, TFJS_DIST } from "./tfjs-esm.js";

export interface Registration {
  registered: string[];
  skipped: string[];
}

let done: Registration | null = null;

export function registerGradients(): Registration {
  if (done) return done;
  const result: Registration = { registered: [], skipped: [] };
  done = result;
  if (!existsSync(join(TFJS_DIST, "register_all_gradients.js"))) return result;
  for (const { id, names } of listedModules("register_all_gradients")) {
    if (!id.startsWith("gradients/")) continue;
    let mod: Record<string, unknown>;
    try {
      mod = loadTfjsModule(id);
    } catch {
      result.skipped.push(id);
      continue;
    }
    for (const n of names) {
      const config = mod[n] as tf.GradConfig | undefined;
      if (!config?.kernelName || tf.getGradient(config.kernelName)) continue;
      tf.registerGradient(config);
      result.registered.push(config.kernelName);
    }
  }
  return result;
}

registerGradients();
