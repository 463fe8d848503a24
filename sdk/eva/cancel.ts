// Stopping collection between batches: the caller's AbortSignal, or the running notebook cell's
// signal, which the kernel offers through a hook at globalThis[Symbol.for("stillroom.cancel")] (the
// SDK never imports the kernel). This is the protocol of the SDK's shared cancellation check; when
// that check is part of the SDK core, this file becomes a re-export of it.

export const CANCEL_HOOK = Symbol.for("stillroom.cancel");

/** Thrown by a loop told to stop; `partial` holds what it had done. */
export class InterruptedError extends Error {
  constructor(
    message: string,
    readonly partial?: unknown,
  ) {
    super(message);
    this.name = "InterruptedError";
  }
}

function cellSignal(): AbortSignal | undefined {
  const hook = (globalThis as Record<symbol, unknown>)[CANCEL_HOOK];
  return typeof hook === "function" ? (hook as () => AbortSignal | undefined)() : undefined;
}

/** Throws InterruptedError when `signal` or the running cell's signal has fired; `where` names the loop and step. */
export function throwIfCancelled(where: string, signal?: AbortSignal, partial?: unknown): void {
  if (signal?.aborted || cellSignal()?.aborted) throw new InterruptedError(`${where}: interrupted`, partial);
}
