// sdk/models: Llama / Qwen2 / OLMo2 causal language models in Hugging Face layout.
export { config, ConfigError, FAMILIES, type Family, type ModelConfig, type ModelConfigInput, type Llama3RopeScaling } from "./config.js";
export { create, type CreateOptions } from "./create.js";
export { load, type LoadOptions } from "./load.js";
export { Model, type LogitsOptions, type ModelExtras, type ForwardRun } from "./model.js";
export type { GenerateOptions } from "./generate.js";
export type { SaveOptions } from "./save.js";
export { weightSpecs, type WeightSpec } from "./layout.js";
export { buildModel } from "./build.js";
export { sampleToken, argmax, type Sampling } from "./sampling.js";
export { Tokenizer, type ChatMessage } from "../io/tokenizer.js";
// The tiny Llama teacher pretrained on the synthetic suite (trained once, then cached on disk).
export { teacher, type TeacherOptions } from "../tasks/teacher.js";
