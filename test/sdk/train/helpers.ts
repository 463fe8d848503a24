// Shared helpers for the training tests: a tiny model on the cpu backend and a token stream.

import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { create } from "../../../sdk/models/create.js";
import type { Model } from "../../../sdk/models/model.js";

export async function useCpu(): Promise<void> {
  await tf.setBackend("cpu");
  await tf.ready();
}

export function tinyModel(seed = 0, vocabSize = 32): Model {
  return create({ family: "llama", vocabSize, dModel: 16, nLayers: 1, nHeads: 2, dFf: 32, maxSeq: 64 }, { seed });
}

/** A learnable token stream: a repeating pattern with a little structure. */
export function tokens(n = 400, vocab = 32): number[] {
  return Array.from({ length: n }, (_, i) => (i * 7 + Math.floor(i / 5)) % vocab);
}
