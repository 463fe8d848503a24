// Kernels registered on the wasm backend: faster replacements (BatchMatMul by OpenBLAS or XNNPACK,
// copy-free Identity and Cast, GatherV2 by rows, Slice without reading all of its input) and the ones tfjs ships without (UnsortedSegmentSum, Einsum, and the rest
// by way of the cpu backend). Registered when sdk/backend loads, before the wasm backend
// initializes (a replaced kernel keeps the stock setup, which binds the wasm function it calls).
// Idempotent.
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-wasm";
import "@tensorflow/tfjs-backend-cpu";
import { batchMatMulKernel } from "./batch-matmul.js";
import { blasBatchMatMulKernel } from "../blas/batch-matmul.js";
import { activeBlas } from "../blas/index.js";
import { cpuFallbackKernel, cpuFallbackNames } from "./cpu-fallback.js";
import { castKernel } from "./cast.js";
import { einsumKernel } from "./einsum.js";
import { gatherKernel } from "./gather.js";
import { guardWasmHeap } from "./heap-guard.js";
import { identityKernel } from "./identity.js";
import { sliceKernel } from "./slice.js";
import { unsortedSegmentSumKernel } from "./unsorted-segment-sum.js";

export interface WasmKernels {
  /** kernels replaced by faster ones */
  replaced: string[];
  /** kernels wasm lacked, now implemented for it */
  added: string[];
  /** kernels wasm lacked, now run by the cpu backend on copies */
  delegated: string[];
}

let done: WasmKernels | null = null;
let stockBatchMatMul: tf.KernelConfig | null = null;

function set(config: tf.KernelConfig): void {
  if (tf.getKernel(config.kernelName, "wasm")) tf.unregisterKernel(config.kernelName, "wasm");
  tf.registerKernel(config);
}

export function registerWasmKernels(): WasmKernels {
  if (done) return done;
  const result: WasmKernels = { replaced: [], added: [], delegated: [] };
  const stock = tf.getKernel("BatchMatMul", "wasm");
  if (stock) {
    stockBatchMatMul = stock;
    // OpenBLAS when the native path is on (sdk/backend/blas), else XNNPACK
    set({ ...stock, kernelFunc: blasBatchMatMulKernel(activeBlas, batchMatMulKernel(stock.kernelFunc)) });
    result.replaced.push("BatchMatMul");
  }
  const identity = tf.getKernel("Identity", "wasm");
  if (identity) {
    set({ ...identity, kernelFunc: identityKernel(identity.kernelFunc) });
    result.replaced.push("Identity");
  }
  const gather = tf.getKernel("GatherV2", "wasm");
  if (gather) {
    set({ ...gather, kernelFunc: gatherKernel(gather.kernelFunc) });
    result.replaced.push("GatherV2");
  }
  const slice = tf.getKernel("Slice", "wasm");
  if (slice) {
    set({ ...slice, kernelFunc: sliceKernel(slice.kernelFunc) });
    result.replaced.push("Slice");
  }
  const cast = tf.getKernel("Cast", "wasm");
  if (cast) {
    set({ ...cast, kernelFunc: castKernel(cast.kernelFunc) });
    result.replaced.push("Cast");
  }
  const added: [string, tf.KernelFunc][] = [
    ["UnsortedSegmentSum", unsortedSegmentSumKernel],
    ["Einsum", einsumKernel],
  ];
  for (const [kernelName, kernelFunc] of added) {
    if (tf.getKernel(kernelName, "wasm")) continue;
    set({ kernelName, backendName: "wasm", kernelFunc });
    result.added.push(kernelName);
  }
  for (const kernelName of cpuFallbackNames()) {
    set({ kernelName, backendName: "wasm", kernelFunc: cpuFallbackKernel(kernelName) });
    result.delegated.push(kernelName);
  }
  guardHeapOnStart();
  done = result;
  return result;
}

/** Every wasm backend, whoever starts it, gets the heap guard (heap-guard.ts). */
function guardHeapOnStart(): void {
  const started = tf.engine().registry.wasm;
  if (started) {
    guardWasmHeap(started);
    return;
  }
  const factory = tf.findBackendFactory("wasm");
  if (!factory) return;
  tf.removeBackend("wasm");
  tf.registerBackend(
    "wasm",
    async () => {
      const backend = await factory();
      guardWasmHeap(backend);
      return backend;
    },
    2, // tfjs-backend-wasm's own priority
  );
}

/** Puts tfjs's own wasm BatchMatMul back (benchmarks: the "before" numbers). */
export function restoreStockBatchMatMul(): void {
  if (stockBatchMatMul) set(stockBatchMatMul);
}
