// WebGPU in Node for @tensorflow/tfjs-backend-webgpu: the `webgpu` npm package is Dawn (Chrome's
// WebGPU) as a prebuilt Node addon; it loads the system's Vulkan driver (Linux), Metal (macOS) or
// D3D12 (Windows). tfjs's WebGPU backend registers itself only when `navigator.gpu` exists as it is
// imported, so the GPU is set up first, then the backend imported.
//
// Dawn options (its toggles, or "backend=null" for Dawn's null adapter, which accepts every call
// and computes nothing: it lets CI check that the kernels are there without a GPU) come from
// use("webgpu", { dawn: [...] }) or STILLROOM_DAWN (comma-separated).
import * as tf from "@tensorflow/tfjs-core";
import { existsSync, readdirSync } from "node:fs";

export interface WebGpuOptions {
  /** Dawn options, e.g. ["backend=null"] or ["enable-dawn-features=allow_unsafe_apis"] */
  dawn?: string[];
}

interface GpuAdapterInfo {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
}

interface Gpu {
  requestAdapter(options?: { powerPreference?: string }): Promise<{ info?: GpuAdapterInfo } | null>;
}

let adapterName: string | null = null;

/** "NVIDIA H100 (vulkan)"-like name of the adapter WebGPU runs on, once started. */
export function webgpuAdapter(): string | null {
  return adapterName;
}

function dawnOptions(options: WebGpuOptions): string[] {
  if (options.dawn) return options.dawn;
  const env = process.env.STILLROOM_DAWN;
  return env ? env.split(",").map((s) => s.trim()) : [];
}

/** What this machine has for Dawn to use, for the error when there is no adapter. */
export function gpuDiagnosis(): string {
  if (process.platform !== "linux") return `platform ${process.platform}`;
  const icdDirs = ["/usr/share/vulkan/icd.d", "/etc/vulkan/icd.d", "/usr/local/share/vulkan/icd.d"];
  const icds = icdDirs.flatMap((d) => (existsSync(d) ? readdirSync(d).filter((f) => f.endsWith(".json")) : []));
  const loader = [
    "/usr/lib/x86_64-linux-gnu/libvulkan.so.1",
    "/usr/lib/aarch64-linux-gnu/libvulkan.so.1",
    "/usr/lib64/libvulkan.so.1",
  ].find(existsSync);
  const nvidia = existsSync("/proc/driver/nvidia/version");
  return [
    `Vulkan loader ${loader ?? "missing (Debian: libvulkan1)"}`,
    `Vulkan drivers (ICD files) ${icds.length ? icds.join(", ") : `none in ${icdDirs.join(", ")}`}`,
    nvidia
      ? icds.some((f) => f.startsWith("nvidia"))
        ? "NVIDIA driver loaded, with its Vulkan ICD"
        : "NVIDIA driver loaded but no nvidia_icd.json (install the driver's Vulkan part, e.g. libnvidia-gl or the full driver)"
      : "no NVIDIA driver loaded (/proc/driver/nvidia/version missing)",
  ].join("; ");
}

/** Sets up navigator.gpu with Dawn and registers tfjs's WebGPU backend; throws saying why it cannot. */
export async function startWebGpu(options: WebGpuOptions = {}): Promise<void> {
  if (tf.findBackendFactory("webgpu") && adapterName) return;
  let dawn: { create(options: string[]): Gpu; globals: Record<string, unknown> };
  try {
    dawn = (await import("webgpu")) as unknown as typeof dawn;
  } catch (e) {
    throw new Error(`webgpu: the "webgpu" package (Dawn for Node) did not load: ${(e as Error).message.split("\n")[0]}`);
  }
  const flags = dawnOptions(options);
  let gpu: Gpu;
  try {
    gpu = dawn.create(flags);
  } catch (e) {
    throw new Error(`webgpu: Dawn refused its options ${JSON.stringify(flags)}: ${(e as Error).message.split("\n").join(" ")}`);
  }
  const adapter = await gpu.requestAdapter({ powerPreference: "high-performance" });
  if (!adapter) {
    throw new Error(
      `webgpu: Dawn found no GPU adapter (${gpuDiagnosis()}). Dawn needs a Vulkan 1.1 device with shaderUniform*ArrayDynamicIndexing (Mesa's lavapipe before 23 lacks it, so a CPU-only machine has none). ` +
        'To check that the kernels are there without a GPU: use("webgpu", { dawn: ["backend=null"] }) (Dawn\'s null adapter computes nothing).',
    );
  }
  const info = adapter.info ?? {};
  const backend = flags.find((f) => f.startsWith("backend="))?.slice(8);
  adapterName = [info.description || info.device || info.vendor || "unnamed adapter", backend ? `(${backend})` : ""]
    .filter(Boolean)
    .join(" ");
  for (const [k, v] of Object.entries(dawn.globals)) if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
  const g = globalThis as { navigator?: { gpu?: Gpu } };
  if (!g.navigator) Object.defineProperty(globalThis, "navigator", { value: {}, configurable: true, writable: true });
  g.navigator!.gpu = gpu;
  const webgpu = await import("@tensorflow/tfjs-backend-webgpu");
  if (!tf.findBackendFactory("webgpu")) {
    throw new Error(
      'webgpu: @tensorflow/tfjs-backend-webgpu was imported before navigator.gpu existed, so it did not register; use sr.backend.use("webgpu") before importing it',
    );
  }
  explainSyncReads(webgpu.WebGPUBackend.prototype as unknown as SyncReader);
}

interface SyncReader {
  readSync(dataId: object): unknown;
  tensorMap: { get(dataId: object): { values?: unknown; dtype: string } };
}

/** tfjs-webgpu reads a GPU buffer synchronously through an OffscreenCanvas, which Node lacks (and
 *  Node cannot block on a GPU map): dataSync() there fails with "OffscreenCanvas is not defined".
 *  Say what to do instead; values already on the CPU are still returned. */
function explainSyncReads(proto: SyncReader): void {
  if (typeof (globalThis as { OffscreenCanvas?: unknown }).OffscreenCanvas !== "undefined") return;
  const readSync = proto.readSync;
  proto.readSync = function (this: SyncReader, dataId: object) {
    const data = this.tensorMap.get(dataId);
    if (data.values != null || data.dtype === "string") return readSync.call(this, dataId);
    throw new Error(
      "webgpu in Node: tensors on the GPU cannot be read synchronously (dataSync, arraySync, bufferSync); read them with await tensor.data() or await tensor.array()",
    );
  };
}

/** Lets the process exit: drops the WebGPU backend (its device) and Dawn's navigator.gpu. */
export function stopWebGpu(): void {
  const factory = tf.findBackendFactory("webgpu");
  if (tf.engine().registry.webgpu && factory) {
    tf.removeBackend("webgpu"); // disposes the backend, and forgets its factory: register it again
    tf.registerBackend("webgpu", factory, 3);
  }
  adapterName = null;
  const g = globalThis as { navigator?: { gpu?: unknown } };
  if (g.navigator) delete g.navigator.gpu;
}
