// What the wasm kernels here need of tfjs-backend-wasm's BackendWasm: tensors live on the wasm
// heap; makeOutput allocates one, typedArrayFromHeap views it (a fresh view each call: the heap
// may grow, which detaches older views), disposeData frees it. Other kernels run by name.
import * as tf from "@tensorflow/tfjs-core";

export interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType, memoryOffset?: number, values?: tf.backend_util.BackendValues): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
  disposeData(dataId: object, force?: boolean): boolean;
  readSync(dataId: object): tf.backend_util.BackendValues;
}

export type Inputs = Record<string, tf.TensorInfo>;

/** Runs the kernel registered as `name` for wasm, directly on the backend (no tape, no engine). */
export function run(name: string, inputs: Inputs, backend: object, attrs: tf.NamedAttrMap = {}): tf.TensorInfo {
  const config = tf.getKernel(name, "wasm");
  if (!config) throw new Error(`wasm has no kernel ${name}`);
  return config.kernelFunc({ inputs, backend, attrs }) as tf.TensorInfo;
}

/** A view of t with another shape: same data, no copy, no reference taken (never dispose it). */
export function view(t: tf.TensorInfo, shape: number[]): tf.TensorInfo {
  return { dataId: t.dataId, shape, dtype: t.dtype };
}

export function heap(backend: object, t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array {
  return (backend as unknown as WasmBackendLike).typedArrayFromHeap(t);
}

export function alloc(backend: object, shape: number[], dtype: tf.DataType): tf.TensorInfo {
  return (backend as unknown as WasmBackendLike).makeOutput(shape, dtype);
}

export function free(backend: object, ...ts: tf.TensorInfo[]): void {
  for (const t of ts) (backend as unknown as WasmBackendLike).disposeData(t.dataId);
}

/** The byte offset of t's data in the wasm heap (for kernels that take pointers). */
export function offset(backend: object, t: tf.TensorInfo): number {
  return (backend as unknown as WasmBackendLike).typedArrayFromHeap(t).byteOffset;
}
