// Stopping the pipeline's loops: the same hook the kernel installs for the running cell
// (globalThis[Symbol.for("stillroom.cancel")] returns its AbortSignal), checked at every step.
// sr.train.fit checks it too once it has the SDK's own check; then this file is one re-export.

const CANCEL_HOOK = Symbol.for("stillroom.cancel");

/** Throws when the running cell (or `signal`) asks the work to stop; `where` names the loop and step. */
export function throwIfCancelled(where: string, signal?: AbortSignal): void {
  const hook = (globalThis as Record<symbol, unknown>)[CANCEL_HOOK];
  const cell = typeof hook === "function" ? (hook as () => AbortSignal | undefined)() : undefined;
  if (signal?.aborted || cell?.aborted) {
    const e = new Error(`${where}: interrupted`);
    e.name = "InterruptedError";
    throw e;
  }
}
