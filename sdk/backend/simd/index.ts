// The SIMD kernels (kernels.ts), instantiated once against the wasm backend's own memory, so that
// they read and write tensors where tfjs keeps them. Arguments are byte offsets into that memory.
import { assemble } from "./assemble.js";
import { KERNELS } from "./kernels.js";

type P = number; // a byte offset into the heap

export interface SimdKernels {
  adamw(p: P, m: P, v: P, g: P, p1: P, m1: P, v1: P, n: number, ...hyper: number[]): void;
  rmsnorm(x: P, w: P, y: P, rows: number, C: number, eps: number): void;
  rmsnorm_grad(dy: P, x: P, w: P, dx: P, dw: P, rows: number, C: number, eps: number): void;
  swiglu(g: P, u: P, h: P, n: number): void;
  swiglu_grad(dh: P, g: P, u: P, dg: P, du: P, n: number): void;
  rope(x: P, cos: P, sin: P, y: P, B: number, H: number, T: number, D: number): void;
  rope_grad(dy: P, cos: P, sin: P, dx: P, B: number, H: number, T: number, D: number): void;
  softmax_grad(dy: P, y: P, dx: P, rows: number, S: number): void;
  cross_entropy_rows(logits: P, stats: P, rows: number, V: number): void;
  cross_entropy_grad(logits: P, targets: P, weights: P, grad: P, rows: number, V: number, scale: number): void;
}

interface EmscriptenModule {
  asm?: { memory?: WebAssembly.Memory };
  wasmMemory?: WebAssembly.Memory;
}

let cached: { memory: WebAssembly.Memory; kernels: SimdKernels } | null = null;

/** The kernels bound to the memory of the wasm backend `backend` (tfjs's BackendWasm). */
export function simdKernels(backend: object): SimdKernels {
  const module = (backend as { wasm: EmscriptenModule }).wasm;
  const memory = module.wasmMemory ?? module.asm?.memory;
  if (!memory) throw new Error("SIMD kernels: the wasm backend exposes no memory");
  if (cached?.memory === memory) return cached.kernels;
  const bytes = assemble(KERNELS, { shared: typeof SharedArrayBuffer !== "undefined" && memory.buffer instanceof SharedArrayBuffer });
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
  cached = { memory, kernels: instance.exports as unknown as SimdKernels };
  return cached.kernels;
}
