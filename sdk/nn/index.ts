// sdk/nn: transformer building blocks. Pure tensor functions, and thin classes that own weights.
import "./gradients.js"; // tfjs-core's Node entry registers no gradients by itself
export { registerGradients } from "./gradients.js";
export * from "./module.js";
export * from "./random.js";
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
