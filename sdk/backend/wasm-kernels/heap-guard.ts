// The wasm heap is 32-bit: 4 GiB at most, shared by every tensor. tfjs's wasm backend passes a
// tensor's byte size to malloc as a 32-bit integer (a 5 GiB tensor wraps around to a small block),
// and the allocator's own arithmetic wraps when a request would grow the heap past 4 GiB (it then
// writes outside the memory: "memory access out of bounds", and the allocator is broken for good).
// So the guard refuses, before malloc, any tensor that could take the heap past its limit (the
// heap's current size plus the request; a heap already near 4 GiB may thus refuse a request that
// its free space could have held), and checks malloc's answer. A tensor that does not fit becomes
// an error that names its shape and the sizes.
import * as tf from "@tensorflow/tfjs-core";

/** The largest heap the wasm backend's build can grow to (Emscripten's getHeapMax). */
export const WASM_HEAP_MAX = 4294901760;

/** Room left for the allocator's own bookkeeping and page rounding when the heap grows. */
const SLACK = 16 * 1024 ** 2;

const GIB = 1024 ** 3;
const gib = (bytes: number) => `${(bytes / GIB).toFixed(2)} GiB`;

class MallocFailed extends Error {}

interface GuardedBackend {
  wasm: { _malloc(bytes: number): number; HEAPU8: Uint8Array };
  move(dataId: object, values: unknown, shape: number[], dtype: tf.DataType, refCount: number): void;
  __stillroomHeapGuard?: true;
}

/** Installs the guard on a started wasm backend (idempotent). */
export function guardWasmHeap(backend: object): void {
  const b = backend as GuardedBackend;
  if (b.__stillroomHeapGuard) return;
  b.__stillroomHeapGuard = true;
  const malloc = b.wasm._malloc;
  b.wasm._malloc = (bytes: number) => {
    const at = malloc(bytes);
    if (at === 0 && bytes > 0) throw new MallocFailed();
    return at;
  };
  const move = b.move.bind(b);
  b.move = (dataId, values, shape, dtype, refCount) => {
    if (dtype === "string") return move(dataId, values, shape, dtype, refCount);
    const bytes = tf.util.sizeFromShape(shape) * tf.util.bytesPerElement(dtype);
    const what = `a ${dtype} tensor of shape [${shape.join(", ")}] (${gib(bytes)})`;
    const advice = "use a smaller batch or sequence length, or a backend without this limit (tensorflow, webgpu)";
    if (bytes + SLACK > WASM_HEAP_MAX) {
      throw new Error(`wasm heap: ${what} does not fit: the wasm backend's memory is 32-bit, ${gib(WASM_HEAP_MAX)} at most; ${advice}`);
    }
    const noRoom = () =>
      new Error(
        `wasm heap: no room for ${what}: tensors hold ${gib(tf.memory().numBytes)} of the heap, which has grown to ${gib(b.wasm.HEAPU8.length)} of its ${gib(WASM_HEAP_MAX)} (32-bit wasm memory); ${advice}, or dispose tensors no longer needed`,
      );
    if (b.wasm.HEAPU8.length + bytes + SLACK > WASM_HEAP_MAX) throw noRoom();
    try {
      return move(dataId, values, shape, dtype, refCount);
    } catch (e) {
      if (e instanceof MallocFailed) throw noRoom();
      throw e;
    }
  };
}
