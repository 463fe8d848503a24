// Timers a cell set stop with the cell: once a cell is interrupted, the callbacks it scheduled with
// setTimeout, setInterval or setImmediate no longer run, so an async loop on timers
// (`while (true) { await sleep(10) }`) ends with the interrupt instead of running on unseen.
// Timers of cells that ended normally run as usual (their output still lands in their cell).
import { promisify } from "node:util";
import { cellStorage } from "./scope.js";

type TimerFn = (callback: (...args: unknown[]) => void, ...rest: unknown[]) => unknown;

let installed = false;

function guard(name: "setTimeout" | "setInterval" | "setImmediate", clear: (handle: unknown) => void): void {
  const original = globalThis[name] as unknown as TimerFn;
  const guarded = function (this: unknown, callback: unknown, ...rest: unknown[]) {
    const signal = cellStorage.getStore()?.controller.signal;
    if (!signal || typeof callback !== "function") return original.call(this, callback as () => void, ...rest);
    const handle = original.call(
      this,
      function (this: unknown, ...args: unknown[]) {
        if (signal.aborted) return clear(handle);
        return callback.apply(this, args);
      },
      ...rest,
    );
    return handle;
  };
  // util.promisify(setTimeout) and friends keep working.
  const custom = (original as unknown as Record<symbol, unknown>)[promisify.custom];
  if (custom) Object.defineProperty(guarded, promisify.custom, { value: custom });
  Object.defineProperty(globalThis, name, { value: guarded, writable: true, configurable: true, enumerable: true });
}

export function installTimerGuard(): void {
  if (installed) return;
  installed = true;
  guard("setTimeout", (h) => clearTimeout(h as NodeJS.Timeout));
  guard("setInterval", (h) => clearInterval(h as NodeJS.Timeout));
  guard("setImmediate", (h) => clearImmediate(h as NodeJS.Immediate));
}
