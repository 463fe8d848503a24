// sdk/xlstm: the mLSTM in its equivalent forms (parallel, chunkwise, recurrent, one step), and the
// pieces of the hybrid student's attention: feature maps, sliding-window attention with sinks, the
// output-gate mix. Pure functions on tf.Tensor.
export { mlstmParallel } from "./parallel.js";
export { mlstmChunkwise, type MlstmChunkwiseOptions } from "./chunkwise.js";
export { mlstmRecurrent, type MlstmStateOptions, type MlstmSequenceResult } from "./recurrent.js";
export { mlstmStep, type MlstmStepResult } from "./step.js";
export { mlstmZeroState, type MlstmState } from "./state.js";
export { softCap } from "./gates.js";
export {
  DEFAULT_CHUNK_SIZE,
  GATE_SOFT_CAP,
  MLSTM_DEFAULTS,
  type MlstmOptions,
  type ResolvedMlstmOptions,
  type StabilizerStart,
} from "./options.js";
export { featureMap, featureDim, type FeatureMapKind, type FeatureMapOptions } from "./feature-map.js";
export {
  slidingWindowAttention,
  slidingWindowCache,
  slidingWindowStep,
  type SlidingWindowCache,
  type SlidingWindowOptions,
  type SlidingWindowStepResult,
} from "./sliding-window.js";
export { outputGateMix } from "./output-gate.js";
export {
  hybridAttention,
  hybridAttentionStep,
  type HybridInputs,
  type HybridOptions,
  type HybridState,
  type HybridWeights,
} from "./hybrid.js";
// The hybrid student's layer type, registered on import: "mlstm_hybrid" in config.json's layer_types.
export { HYBRID_LAYER_TYPE } from "./layer-type.js";
export { HybridAttention, type HybridParts } from "./hybrid-layer.js";
export { HybridDecodeState } from "./hybrid-state.js";
export { WindowStore, WINDOW_BLOCK, type WindowLayout } from "./window-store.js";
export { MLSTM_HYBRID, HYBRID_DEFAULTS, hybridSettings, type HybridSettings } from "./hybrid-settings.js";
export {
  hybridWeights,
  inputGateBias,
  HYBRID_NEW_PARAMETERS,
  OUTPUT_GATE_BIAS,
  FORGET_GATE_BIAS,
} from "./hybrid-init.js";
export { FeatureMapModule } from "./feature-map-module.js";
