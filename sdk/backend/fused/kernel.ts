// What the fused kernels share. A fused op is one tfjs kernel (and one for its gradient) where the
// composite is five to fifteen small ones: each small kernel is a pass over memory plus ~5-50 µs of
// tfjs bookkeeping (tape, scopes, a tensor object), which on a training step of a small model adds
// up to a good part of the matrix products' time. The kernels are SIMD WebAssembly working on the
// wasm heap in place (sdk/backend/simd), so they exist for the wasm backend only; elsewhere each op
// returns null and its caller runs the composite, which stays the definition the tests compare
// against. (Plain JavaScript loops over the heap were tried first: 3-5x slower than wasm's SIMD
// kernels per element, they fused away the bookkeeping and lost it again in arithmetic.)
//
// STILLROOM_FUSED=off (or setFused(false)) turns them off, for comparisons.
import * as tf from "@tensorflow/tfjs-core";
import type { WasmBackendLike } from "../wasm-kernels/heap.js";

const off = ["off", "0", "false", "no"].includes((process.env.STILLROOM_FUSED ?? "").trim().toLowerCase());
let enabled = !off;

/** Turns the fused kernels on or off for the ops called from now on. */
export function setFused(on: boolean): void {
  enabled = on;
}

export function fusedEnabled(): boolean {
  return enabled;
}

/** True when `kernel` runs on the current backend and fusing is on: the op may take the fast path. */
export function fusedReady(kernel: string): boolean {
  return enabled && tf.getKernel(kernel, tf.getBackend()) !== undefined;
}

/** Registers a kernel for wasm (replacing one of the same name: registration is idempotent). */
export function registerWasm(kernelName: string, kernelFunc: tf.KernelFunc): void {
  if (tf.getKernel(kernelName, "wasm")) tf.unregisterKernel(kernelName, "wasm");
  tf.registerKernel({ kernelName, backendName: "wasm", kernelFunc });
}

export function registerGrad(config: tf.GradConfig): void {
  if (tf.getGradient(config.kernelName)) tf.unregisterGradient(config.kernelName);
  tf.registerGradient(config);
}

/** A float32 view of t on the wasm heap. Take views after every allocation: growing the heap detaches older ones. */
export function f32(backend: object, t: tf.TensorInfo): Float32Array {
  return (backend as unknown as WasmBackendLike).typedArrayFromHeap(t) as Float32Array;
}

export function i32(backend: object, t: tf.TensorInfo): Int32Array {
  return (backend as unknown as WasmBackendLike).typedArrayFromHeap(t) as Int32Array;
}

/** Runs a registered kernel through the engine (taped, so that its gradient is recorded). */
export function runKernel<T extends tf.Tensor | tf.Tensor[]>(name: string, inputs: Record<string, tf.Tensor>, attrs: object = {}): T {
  return tf.engine().runKernel(name, inputs as unknown as tf.NamedTensorMap, attrs as tf.NamedAttrMap) as unknown as T;
}
