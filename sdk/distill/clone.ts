// A model's independent copy: same config, tokenizer and generation settings, weights copied.
// The pipeline hands out copies so that no run changes a model another run (or the caller) holds.

import { create } from "../models/create.js";
import type { Model } from "../models/model.js";

export function cloneModel(m: Model): Model {
  const copy = create(m.config, { tokenizer: m.tokenizer, generationConfig: m.generationConfig });
  copy.loadWeights(m);
  for (const [name, v] of m.parameters()) copy.parameters().get(name)!.trainable = v.trainable;
  return copy;
}
