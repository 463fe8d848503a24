// Globals every notebook starts with: display, progress, input, comms, and the heavy modules
// sr (the SDK), tf (the SDK's TensorFlow.js) and aq (arquero), which load on the first cell
// that names them so the kernel starts fast.
import { hideAsyncBookkeeping } from "./async-bookkeeping.js";
import { display } from "./display.js";
import { interruptRequested } from "./executor.js";
import type { Handler } from "./handler.js";
import { progress } from "./progress.js";
import { cellStorage, currentScope } from "./scope.js";
import { installTimerGuard } from "./timers.js";

const LAZY: Record<string, () => Promise<unknown>> = {
  sr: async () => import("../sdk/index.js"),
  tf: async () => (await import("../sdk/index.js")).tf,
  aq: async () => import("arquero"),
};

const NAMES = new RegExp(`\\b(${Object.keys(LAZY).join("|")})\\b`, "g");

function define(name: string, value: unknown): void {
  Object.defineProperty(globalThis, name, { value, writable: true, configurable: true, enumerable: false });
}

/** The SDK reports long work (training, EVA collection) through this factory when present. */
const PROGRESS_HOOK = Symbol.for("stillroom.progress");
/**
 * The SDK's loops ask this for the signal that stops them: the running cell's, aborted once the
 * cell is interrupted. It reads the IO thread's request directly (interrupt.ts), so a loop that
 * never returns to the event loop still sees the interrupt at its next step.
 */
const CANCEL_HOOK = Symbol.for("stillroom.cancel");

function cellSignal(): AbortSignal | undefined {
  const scope = cellStorage.getStore();
  if (!scope) return undefined;
  if (!scope.controller.signal.aborted && interruptRequested(scope.cell)) scope.controller.abort();
  return scope.controller.signal;
}

export function installGlobals(handler: Handler): void {
  hideAsyncBookkeeping();
  define("display", display);
  define("progress", progress);
  (globalThis as Record<symbol, unknown>)[PROGRESS_HOOK] = (label: string, total: number) => progress(total, { label });
  (globalThis as Record<symbol, unknown>)[CANCEL_HOOK] = cellSignal;
  installTimerGuard();
  define("comms", handler.comms);
  define("input", (prompt?: string, options: { password?: boolean } = {}) => {
    const scope = currentScope();
    if (!scope) return Promise.reject(new Error("input() needs a running cell"));
    return handler.input(scope, prompt, Boolean(options.password));
  });
}

const loaded = new Set<string>();

/** Loads the lazy globals a cell names (a word match is enough: loading early is harmless). */
export async function loadGlobalsFor(code: string): Promise<void> {
  const wanted = new Set([...code.matchAll(NAMES)].map((m) => m[1]!));
  await Promise.all(
    [...wanted]
      .filter((n) => !loaded.has(n) && !(n in globalThis))
      .map(async (name) => {
        define(name, await LAZY[name]!());
        loaded.add(name);
      }),
  );
}
