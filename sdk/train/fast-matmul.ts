// Work-around for the wasm backend's BatchMatMul: with transposeA or transposeB set it falls off
// XNNPACK onto a naive loop (10-20x slower: x @ W^T in every Linear, and both matmuls of every
// gradient). This wraps the registered kernel so that it transposes the operand explicitly (a cheap
// Transpose kernel) and runs the fast untransposed path. Same numbers; idempotent; wasm only; a
// no-op when sdk/backend has already replaced the stock kernel (wasm-kernels/batch-matmul.ts).

import * as tf from "@tensorflow/tfjs-core";

const WRAPPED = Symbol.for("stillroom.fastMatMul");

type Info = tf.TensorInfo;

export function installFastMatMul(): boolean {
  const orig = tf.getKernel("BatchMatMul", "wasm");
  const transpose = tf.getKernel("Transpose", "wasm");
  if (!orig || !transpose) return false;
  if ((orig as unknown as Record<symbol, boolean>)[WRAPPED]) return true;
  // Only the stock kernel needs it: sdk/backend may already have replaced it with one that stays on XNNPACK.
  if ((orig.kernelFunc as Function).name !== "batchMatMul") return false;
  const swap = (r: number) => [...Array(r - 2).keys(), r - 1, r - 2];
  const kernelFunc = (args: { inputs: Record<string, Info>; backend: unknown; attrs: Record<string, unknown> }) => {
    const { inputs, backend, attrs } = args;
    if (!attrs.transposeA && !attrs.transposeB) return (orig.kernelFunc as Function)(args);
    const temps: Info[] = [];
    const flip = (x: Info) => {
      const t = (transpose.kernelFunc as Function)({ inputs: { x }, backend, attrs: { perm: swap(x.shape.length) } }) as Info;
      temps.push(t);
      return t;
    };
    const a = attrs.transposeA ? flip(inputs.a) : inputs.a;
    const b = attrs.transposeB ? flip(inputs.b) : inputs.b;
    const out = (orig.kernelFunc as Function)({ inputs: { a, b }, backend, attrs: { ...attrs, transposeA: false, transposeB: false } });
    for (const t of temps) (backend as { disposeData(id: unknown): void }).disposeData(t.dataId);
    return out;
  };
  const config = { ...orig, kernelFunc, [WRAPPED]: true } as unknown as tf.KernelConfig;
  tf.unregisterKernel("BatchMatMul", "wasm");
  tf.registerKernel(config);
  return true;
}
