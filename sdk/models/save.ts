// Save a model as a Hugging Face directory; every file is written atomically.

import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { FloatDtype } from "../io/dtypes.js";
import type { TensorInput } from "../io/safetensors.js";
import { writeWeights } from "../io/weights.js";
import { writeJsonAtomic } from "../io/atomic.js";
import { writeHfConfig, toHfGenerationConfig, type TorchDtype } from "../io/hf-config.js";
import type { Model } from "./model.js";
import { checkSavable } from "./save-check.js";
import { ArgumentError } from "../errors.js";

export interface SaveOptions {
  /** stored dtype (default F32); F16 and BF16 round to nearest even */
  dtype?: Exclude<FloatDtype, "F64">;
  /** write model-0000i-of-0000n.safetensors shards of at most this many bytes, plus an index */
  maxShardBytes?: number;
}

const TORCH_DTYPE: Record<NonNullable<SaveOptions["dtype"]>, TorchDtype> = { F32: "float32", F16: "float16", BF16: "bfloat16" };

export async function saveModel(model: Model, dir: string, opts: SaveOptions = {}): Promise<void> {
  const dtype = opts.dtype ?? "F32";
  if (!(dtype in TORCH_DTYPE)) throw new ArgumentError("dtype", dtype, "F32, F16 or BF16", "save");
  checkSavable(model);
  await mkdir(dir, { recursive: true });
  const tensors: Record<string, TensorInput> = {};
  for (const [name, v] of model.parameters()) {
    tensors[name] = { dtype, shape: [...v.shape], data: (await v.data()) as Float32Array };
  }
  await writeWeights(dir, tensors, { maxShardBytes: opts.maxShardBytes });
  await writeJsonAtomic(join(dir, "generation_config.json"), toHfGenerationConfig(model.generationConfig));
  if (model.tokenizer) await model.tokenizer.save(dir);
  await writeHfConfig(dir, model.config, TORCH_DTYPE[dtype]);
}
