// sdk/nn: transformer building blocks. Pure tensor functions, and thin classes that own weights;
// the module tree and its seams (wrap, freeze, modes, parametrise, hooks).
import "./gradients.js"; // tfjs-core's Node entry registers no gradients by itself
export { registerGradients } from "./gradients.js";
export * from "./module.js";
export * from "./random.js";
export { fieldChildren, setFieldChild } from "./children.js";
export { type ModuleMatch, type ParamMatch, groupPaths } from "./paths.js";
export { replaceModules, mergeModules, describeModules, isMergeable, type Mergeable } from "./replace.js";
export { freeze, unfreeze, trainableParameters } from "./freeze.js";
export { isTraining, withTraining } from "./mode.js";
export {
  parametrize,
  unparametrize,
  parametrized,
  parametrizations,
  type Parametrization,
  type UnparametrizeOptions,
} from "./parametrize.js";
export { dropout, Dropout } from "./dropout.js";
export { pool, POOLINGS, type Pooling } from "./pool.js";
export { linear, Linear } from "./linear.js";
export { embed, Embedding } from "./embedding.js";
export { rmsNorm, RMSNorm } from "./rmsnorm.js";
export { ropeInvFreq, ropeCosSin, rotateHalf, applyRope, type Llama3RopeScaling } from "./rope.js";
export { attentionBias, groupedAttention, MASKED } from "./attention.js";
export { KVState, DecodeCache, type LayerState, type StateSlot } from "./kv-cache.js";
export { SelfAttention, type AttentionContext, type AttentionModule, type AttentionShape } from "./self-attention.js";
export { SwiGLU } from "./mlp.js";
export { ModuleList } from "./module-list.js";
export { PreNormLayer, PostNormLayer, type DecoderLayer } from "./decoder-layer.js";
export { DecoderStack, attentionContext, type StackRun } from "./decoder-stack.js";
