// sdk/models: Llama / Qwen2 / OLMo2 causal language models in Hugging Face layout.
export { config, ConfigError, FAMILIES, type Family, type ModelConfig, type ModelConfigInput, type Llama3RopeScaling } from "./config.js";
export { create, type CreateOptions } from "./create.js";
export { load, type LoadOptions } from "./load.js";
export { Model, type LogitsOptions, type ModelExtras, type ForwardRun, type RunLayerOptions } from "./model.js";
export {
  registerLayerType,
  getLayerType,
  layerTypeNames,
  selfAttentionWeights,
  buildSelfAttention,
  FULL_ATTENTION,
  type LayerType,
  type LayerSettings,
  type BaseConfig,
} from "./layer-types.js";
export type { Captured } from "./capture.js";
export type { WeightSource, TensorValues, LoadWeightsOptions, LoadWeightsResult } from "./load-weights.js";
export { checkSavable } from "./save-check.js";
export type { GenerateOptions } from "./generate.js";
export type { SaveOptions } from "./save.js";
export { weightSpecs, type WeightSpec, type WeightInit } from "./layout.js";
export { buildModel } from "./build.js";
export { sampleToken, argmax, type Sampling } from "./sampling.js";
export { Tokenizer, type ChatMessage } from "../io/tokenizer.js";
