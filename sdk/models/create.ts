// A fresh model from a config, deterministic from the seed (plain-JS PRNG, same on every backend).

import * as tf from "@tensorflow/tfjs-core";
import { ArgumentError } from "../errors.js";
import { mulberry32, normalArray, subSeed } from "../nn/random.js";
import { config, type ModelConfig, type ModelConfigInput } from "./config.js";
import { weightSpecs } from "./layout.js";
import { buildModel } from "./build.js";
import type { Model, ModelExtras } from "./model.js";

export interface CreateOptions extends ModelExtras {
  /** default 0 */
  seed?: number;
}

/** Linears and embeddings ~ N(0, initStd^2), biases 0, norm gains 1 (as Hugging Face initializes). */
export function create(cfg: ModelConfig | ModelConfigInput, opts: CreateOptions = {}): Model {
  const c = config(cfg);
  const seed = opts.seed ?? 0;
  if (!Number.isInteger(seed)) throw new ArgumentError("seed", seed, "an integer", "create");
  const vars = new Map<string, tf.Variable>();
  try {
    for (const spec of weightSpecs(c)) {
      const n = spec.shape.reduce((a, b) => a * b, 1);
      const rng = mulberry32(subSeed(seed, spec.name));
      const data =
        typeof spec.init === "function"
          ? spec.init(rng, n)
          : spec.init === "normal"
            ? normalArray(rng, n, c.initStd)
            : new Float32Array(n).fill(spec.init === "ones" ? 1 : 0);
      if (!(data instanceof Float32Array) || data.length !== n) {
        throw new Error(`create: the init of ${spec.name} gave ${data?.length} values; its shape [${spec.shape}] holds ${n}`);
      }
      vars.set(
        spec.name,
        tf.tidy(() => tf.variable(tf.tensor(data, spec.shape, "float32"))),
      );
    }
    return buildModel(c, vars, opts);
  } catch (e) {
    // a refused init or layout: the weights made so far go too
    for (const v of vars.values()) v.dispose();
    throw e;
  }
}
