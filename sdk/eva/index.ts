// sdk/eva: Explained Variance Adaptation. Collect the inputs of a model's linears over data,
// incremental PCA per layer, ranks redistributed by explained variance, and a LoRA initialisation
// that sr.lora.attach applies.
export { IncrementalPCA } from "./ipca.js";
export { allocateRanks, distributeRanks } from "./allocate.js";
export { collect } from "./collect.js";
export { init, EvaInit, type EvaLayer } from "./init.js";
export { EvaActivations, type LayerActivations, type CollectSummary } from "./activations.js";
export { rankChart, varianceChart, blockOf, type LayerRow } from "./charts.js";
export {
  collectConfig,
  initConfig,
  roundHalfEven,
  type CollectOptions,
  type CollectConfig,
  type InitOptions,
  type InitConfig,
} from "./options.js";
export { updateMeanVar, type MeanVar } from "./mean-var.js";
