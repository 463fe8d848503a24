// Which TensorFlow.js engine runs the tensors. `auto` prefers CUDA (tfjs-node-gpu), then native
// CPU (tfjs-node), then wasm (SIMD), then the pure-JS cpu backend. The node backends are optional
// dependencies: their install downloads libtensorflow, which needs internet, so they load only
// when present. STILLROOM_BACKEND overrides `auto`.
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-backend-wasm";
import { cpus } from "node:os";

export type BackendName = "auto" | "tensorflow" | "webgpu" | "wasm" | "cpu";

export interface BackendInfo {
  /** The tfjs backend name in use: tensorflow, webgpu, wasm or cpu. */
  name: string;
  /** What runs the math: "cuda", "cpu (libtensorflow)", "cpu (wasm simd)", "cpu (javascript)", ... */
  device: string;
  threads: number;
  version: string;
}

const OPTIONAL: Record<string, string[]> = {
  tensorflow: ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"],
  webgpu: ["@tensorflow/tfjs-backend-webgpu"],
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

async function activate(name: Exclude<BackendName, "auto">): Promise<boolean> {
  if (name in OPTIONAL && !tf.findBackendFactory(name)) {
    let found = false;
    for (const pkg of OPTIONAL[name]!) if ((found = await tryImport(pkg))) break;
    if (!found) return false;
  }
  try {
    return await tf.setBackend(name);
  } catch {
    return false;
  }
}

/** Switches every later tensor operation to the named backend; throws naming what is missing. */
export async function use(name: BackendName = "auto"): Promise<BackendInfo> {
  const wanted = name === "auto" ? ((process.env.STILLROOM_BACKEND as BackendName | undefined) ?? "auto") : name;
  const valid = ["auto", "tensorflow", "webgpu", "wasm", "cpu"];
  if (!valid.includes(wanted)) throw new Error(`backend ${JSON.stringify(wanted)}: choose one of ${valid.join(", ")}`);
  const order: Exclude<BackendName, "auto">[] = wanted === "auto" ? ["tensorflow", "wasm", "cpu"] : [wanted as Exclude<BackendName, "auto">];
  for (const candidate of order) if (await activate(candidate)) return info();
  const hint = wanted === "tensorflow" ? " (install @tensorflow/tfjs-node-gpu for CUDA or @tensorflow/tfjs-node for native CPU)" : "";
  throw new Error(`backend ${wanted} is not available${hint}`);
}

export function info(): BackendInfo {
  const name = tf.getBackend();
  const threads = name === "wasm" ? 1 : name === "cpu" ? 1 : cpus().length;
  const device =
    name === "tensorflow" ? (loadedPackage?.endsWith("-gpu") ? "cuda" : "cpu (libtensorflow)")
    : name === "wasm" ? "cpu (wasm simd)"
    : name === "webgpu" ? "gpu (webgpu)"
    : "cpu (javascript)";
  return { name, device, threads, version: tf.version_core };
}
