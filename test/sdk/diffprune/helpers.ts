// A tiny core for the DiffPrune tests: generated biographies, a 1-layer Llama, one epoch of task
// fine-tuning, on the cpu backend.

import * as tf from "@tensorflow/tfjs-core";
import { create } from "../../../sdk/models/index.js";
import { bios } from "../../../sdk/tasks/bios.js";
import type { BiasData } from "../../../sdk/tasks/bias-data.js";
import { task } from "../../../sdk/diffprune/task.js";
import type { Core } from "../../../sdk/diffprune/core.js";

export const tinyData = (n = 80, seed = 1): BiasData => bios({ n, seed, correlation: 0.8 });

export function tinyModelFor(data: BiasData, seed = 0) {
  return create(
    { family: "llama", vocabSize: data.tokenizer.vocabSize, dModel: 16, nLayers: 1, nHeads: 2, dFf: 40, maxSeq: 64, tieEmbeddings: false },
    { seed },
  );
}

export async function tinyCore(data: BiasData, seed = 0): Promise<Core> {
  return task(tinyModelFor(data, seed), data, { epochs: 1, quiet: true, seed, lr: 3e-3 });
}

/** Every tensor the engine registers while `fn` runs (shapes). */
export function tensorsMadeBy<T>(fn: () => T): { result: T; shapes: number[][] } {
  const engine = tf.engine();
  const original = engine.trackTensor.bind(engine);
  const shapes: number[][] = [];
  engine.trackTensor = (t, backend) => {
    shapes.push([...t.shape]);
    original(t, backend);
  };
  try {
    return { result: fn(), shapes };
  } finally {
    engine.trackTensor = original;
  }
}

export const bits = (t: tf.Tensor) => {
  const out = t.dataSync().slice();
  t.dispose();
  return out;
};
