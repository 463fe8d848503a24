// Which TensorFlow.js engine runs the tensors. `auto` prefers CUDA (tfjs-node-gpu), then native
// CPU (tfjs-node), then wasm (SIMD), then the pure-JS cpu backend. The node backends are optional
// dependencies: their install downloads libtensorflow, which needs internet, so they load only
// when present. STILLROOM_BACKEND overrides `auto`. WebGPU (webgpu.ts) starts only when asked for.
//
// The wasm backend is the CPU default, with three additions:
// - where OpenBLAS is installed, matrix products run in it, on the wasm heap (blas/): the default,
//   unless STILLROOM_BLAS=off or use("wasm", { blas: false }); STILLROOM_BLAS_THREADS or
//   { blasThreads } sets its threads;
// - fused SIMD kernels with their own gradients (fused/, simd/) for RMSNorm, SwiGLU, RoPE, the
//   cross-entropy, Softmax's gradient and AdamW;
// - a completed kernel set and faster replacements (wasm-kernels/), and a guard that turns a tensor
//   too big for the 32-bit heap into an error naming it.
// XNNPACK can run threaded in Node (wasm-threads.ts): STILLROOM_WASM_THREADS (1-8) or
// use("wasm", { threads }), before the backend first starts; one thread by default (with OpenBLAS
// doing the products, XNNPACK's threads matter little).
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-backend-wasm";
import { cpus } from "node:os";
import { registerWasmKernels } from "./wasm-kernels/index.js";
import { activeBlas, blasUnavailable, chooseBlas, type BlasChoice } from "./blas/index.js";
import { registerFusedKernels } from "./fused/index.js";
import { enableWasmThreads, MAX_WASM_THREADS, wasmInitialized, wasmThreads, withThreadCores } from "./wasm-threads.js";
import { startWebGpu, type WebGpuOptions, webgpuAdapter } from "./webgpu.js";

registerWasmKernels();
registerFusedKernels();
quietCpuBanner();

/** tfjs's cpu backend prints "Hi, looks like you are running TensorFlow.js in Node.js ..." on its
 *  first tensor: advice about tfjs-node that sr.backend already acts on, and noise in a notebook
 *  cell's stderr. The banner waits for the backend's first write; this marks it as done. */
function quietCpuBanner(): void {
  const cpu = tf.findBackend("cpu") as { firstUse?: boolean } | null;
  if (cpu && "firstUse" in cpu) cpu.firstUse = false;
}

export interface UseOptions extends BlasChoice, WebGpuOptions {
  /** wasm only: XNNPACK threads, 1-8 (default: STILLROOM_WASM_THREADS, else 1); fixed once wasm has started */
  threads?: number;
}

/** The wasm thread count `use` asks for when none is given. */
export function defaultWasmThreads(): number {
  const env = process.env.STILLROOM_WASM_THREADS;
  if (env !== undefined && env !== "") {
    const n = Number(env);
    if (!Number.isInteger(n) || n < 1 || n > MAX_WASM_THREADS) {
      throw new Error(`STILLROOM_WASM_THREADS = ${JSON.stringify(env)}: expected an integer from 1 to ${MAX_WASM_THREADS}`);
    }
    return n;
  }
  return 1;
}

export type BackendName = "auto" | "tensorflow" | "webgpu" | "wasm" | "cpu";

export interface BackendInfo {
  /** The tfjs backend name in use: tensorflow, webgpu, wasm or cpu. */
  name: string;
  /** What runs the math: "cuda", "cpu (libtensorflow)", "cpu (wasm simd)", "cpu (javascript)", ... */
  device: string;
  /** threads of the library that runs matrix products (OpenBLAS's when it runs them) */
  threads: number;
  /** the library that runs matrix products: "OpenBLAS 0.3.21 (Haswell)", "XNNPACK (wasm simd)", ... */
  math: string;
  /** wasm only, when OpenBLAS does not run: why not */
  blasUnavailable?: string;
  version: string;
}

const OPTIONAL: Record<string, string[]> = {
  tensorflow: ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"],
};

let loadedPackage: string | null = null;

async function tryImport(pkg: string): Promise<boolean> {
  try {
    await import(pkg);
    loadedPackage = pkg;
    return true;
  } catch {
    return false;
  }
}

/** Starts the backend; true, or why it cannot start. */
async function activate(name: Exclude<BackendName, "auto">, options: UseOptions): Promise<true | string> {
  if (name === "wasm" && wasmInitialized() && options.threads !== undefined && options.threads !== wasmThreads()) {
    console.warn(`stillroom: wasm already runs ${wasmThreads()} thread(s); threads = ${options.threads} takes effect in a new process`);
  }
  if (name === "wasm") {
    chooseBlas(options);
    if (!wasmInitialized()) {
      enableWasmThreads(options.threads ?? defaultWasmThreads());
      return started(() => withThreadCores(() => tf.setBackend("wasm")));
    }
  }
  if (name === "webgpu") {
    try {
      await startWebGpu(options);
    } catch (e) {
      return (e as Error).message;
    }
  }
  if (name in OPTIONAL && !tf.findBackendFactory(name)) {
    let found = false;
    for (const pkg of OPTIONAL[name]!) {
      found = await tryImport(pkg);
      if (found) break;
    }
    if (!found) return "install @tensorflow/tfjs-node-gpu for CUDA or @tensorflow/tfjs-node for native CPU";
  }
  return started(() => tf.setBackend(name));
}

async function started(setBackend: () => Promise<boolean>): Promise<true | string> {
  try {
    return (await setBackend()) || "it did not initialize";
  } catch (e) {
    return (e as Error).message;
  }
}

/** Switches every later tensor operation to the named backend; throws naming what is missing. */
export async function use(name: BackendName = "auto", options: UseOptions = {}): Promise<BackendInfo> {
  const wanted = name === "auto" ? ((process.env.STILLROOM_BACKEND as BackendName | undefined) ?? "auto") : name;
  const valid = ["auto", "tensorflow", "webgpu", "wasm", "cpu"];
  if (!valid.includes(wanted)) throw new Error(`backend ${JSON.stringify(wanted)}: choose one of ${valid.join(", ")}`);
  const order: Exclude<BackendName, "auto">[] =
    wanted === "auto" ? ["tensorflow", "wasm", "cpu"] : [wanted as Exclude<BackendName, "auto">];
  const why: string[] = [];
  for (const candidate of order) {
    const r = await activate(candidate, options);
    if (r === true) return info();
    why.push(order.length > 1 ? `${candidate}: ${r}` : r);
  }
  throw new Error(`backend ${wanted} is not available (${why.join("; ")})`);
}

export function info(): BackendInfo {
  const name = tf.getBackend();
  const blas = name === "wasm" ? activeBlas() : null;
  const threads = blas ? blas.threads() : name === "wasm" ? wasmThreads() : name === "cpu" ? 1 : cpus().length;
  const device =
    name === "tensorflow"
      ? loadedPackage?.endsWith("-gpu")
        ? "cuda"
        : "cpu (libtensorflow)"
      : name === "wasm"
        ? `cpu (${blas ? "openblas, " : ""}wasm simd${wasmThreads() > 1 ? `, ${wasmThreads()} ${blas ? "wasm " : ""}threads` : ""})`
        : name === "webgpu"
          ? `gpu (webgpu: ${webgpuAdapter() ?? "adapter unknown"})`
          : "cpu (javascript)";
  const math = blas
    ? blas.name
    : name === "wasm"
      ? "XNNPACK (wasm simd)"
      : name === "tensorflow"
        ? "libtensorflow"
        : name === "webgpu"
          ? "WebGPU (Dawn)"
          : "JavaScript";
  return {
    name,
    device,
    threads,
    math,
    ...(name === "wasm" && !blas && blasUnavailable() ? { blasUnavailable: blasUnavailable()! } : {}),
    version: tf.version_core,
  };
}
