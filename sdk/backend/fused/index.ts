// Fused kernels with their own gradients (see kernel.ts): RMSNorm, SwiGLU's gate, rotary
// embeddings, softmax cross-entropy, Softmax's gradient and the AdamW update. sdk/nn and sdk/train
// call the ops (each returns null where its kernel does not run, and the caller runs the composite).
import { registerAdamW } from "./adamw.js";
import { registerCrossEntropy } from "./cross-entropy.js";
import { registerRmsNorm } from "./rms-norm.js";
import { registerRope } from "./rope.js";
import { registerSoftmaxGrad } from "./softmax-grad.js";
import { registerSwiglu } from "./swiglu.js";

export { adamwFused, type AdamWStep } from "./adamw.js";
export { crossEntropyFused } from "./cross-entropy.js";
export { fusedEnabled, setFused } from "./kernel.js";
export { rmsNormFused } from "./rms-norm.js";
export { ropeFused } from "./rope.js";
export { swigluFused } from "./swiglu.js";

let done = false;

/** Registers the fused kernels (wasm) and their gradients. Idempotent. */
export function registerFusedKernels(): void {
  if (done) return;
  done = true;
  registerRmsNorm();
  registerSwiglu();
  registerRope();
  registerCrossEntropy();
  registerSoftmaxGrad();
  registerAdamW();
}

registerFusedKernels();
