// Kernels wasm lacks that the cpu backend has (conv/depthwise backprops, ragged ops, ...): run the
// cpu kernel on copies of the inputs and copy the outputs back to the wasm heap. Correct, and as
// fast as the pure-JS cpu backend: a fallback so that training code never hits "kernel not found".
import * as tf from "@tensorflow/tfjs-core";
import type { WasmBackendLike } from "./heap.js";

/** Types wasm cannot hold; kernels that take or make them are not delegated. */
const UNSUPPORTED = /^(Complex|ComplexAbs|FFT|IFFT|Imag|Real|Draw|StaticRegexReplace|RaggedGather|RaggedTensorToTensor)$/;

export function cpuFallbackNames(): string[] {
  const wasm = new Set(tf.getKernelsForBackend("wasm").map((k) => k.kernelName));
  return tf
    .getKernelsForBackend("cpu")
    .map((k) => k.kernelName)
    .filter((n) => !wasm.has(n) && !UNSUPPORTED.test(n));
}

export function cpuFallbackKernel(name: string): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const cpu = tf.findBackend("cpu");
    const kernel = tf.getKernel(name, "cpu");
    if (!cpu || !kernel) throw new Error(`${name} on wasm needs the cpu backend (import "@tensorflow/tfjs-backend-cpu")`);
    const wasm = backend as unknown as WasmBackendLike;
    const moved: tf.TensorInfo[] = [];
    const cpuInputs: Record<string, tf.TensorInfo> = {};
    const entries = Array.isArray(inputs) ? (inputs as tf.TensorInfo[]).map((t, i) => [String(i), t] as const) : Object.entries(inputs);
    for (const [k, t] of entries) {
      if (!t) continue;
      const c = { dataId: cpu.write(wasm.readSync(t.dataId), t.shape, t.dtype), shape: t.shape, dtype: t.dtype };
      moved.push(c);
      cpuInputs[k] = c;
    }
    const args = Array.isArray(inputs) ? moved : cpuInputs;
    try {
      const res = kernel.kernelFunc({ inputs: args as tf.NamedTensorInfoMap, backend: cpu, attrs });
      const outs = Array.isArray(res) ? res : [res];
      const back = outs.map((o) => {
        const w = wasm.makeOutput(o.shape, o.dtype, undefined, cpu.readSync(o.dataId));
        if (!moved.some((m) => m.dataId === o.dataId)) cpu.disposeData(o.dataId);
        return w;
      });
      return Array.isArray(res) ? back : back[0]!;
    } finally {
      for (const m of moved) cpu.disposeData(m.dataId, true);
    }
  };
}
