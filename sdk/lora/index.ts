// sdk/lora: LoRA layers on a model's linears, PEFT adapter files, and the inits PEFT offers
// (kaiming, gaussian, PiSSA, OLoRA, and data-driven ones such as EVA's).
export { attach, type LayerPlan } from "./attach.js";
export { load } from "./load.js";
export { LoraAdapter, type AdaptedLayer, type AdapterState } from "./adapter.js";
export { LoraLinear, deltaWeight, type LoraLinearOptions } from "./layer.js";
export {
  INITS,
  loraConfig,
  patternValue,
  scalingOf,
  type InitName,
  type DataInit,
  type LayerInit,
  type LoraOptions,
  type LoraConfig,
} from "./config.js";
export { kaimingInit, gaussianInit, pissaInit, oloraInit, type Factors, type Decomposed } from "./init.js";
export { ADAPTER_CONFIG, ADAPTER_WEIGHTS, peftKey, parsePeftKey } from "./peft.js";
export type { SaveAdapterOptions } from "./save.js";
export { linearPaths, targetModules } from "./targets.js";
export { svd, type Svd } from "./linalg/svd.js";
export { qr, type Qr } from "./linalg/qr.js";
export { matrix, fromRows, type Matrix } from "./linalg/matrix.js";
