// Stopping long work: every SDK loop (fit, generate, task scoring, and the methods' loops) calls
// throwIfCancelled() at each step. Work stops when the caller's own AbortSignal fires, or, in a
// notebook, when the cell running it is interrupted: the kernel installs a hook at
// globalThis[Symbol.for("stillroom.cancel")] that returns the running cell's signal (the SDK never
// imports the kernel, as with the progress hook). A loop that stops leaves its state consistent at
// the step it reached: a model keeps the weights trained so far.

export const CANCEL_HOOK = Symbol.for("stillroom.cancel");

/** Thrown by a loop that was told to stop; `partial` holds what it had done (fit: the History so far). */
export class InterruptedError extends Error {
  constructor(
    message: string,
    readonly partial?: unknown,
  ) {
    super(message);
    this.name = "InterruptedError";
  }
}

/** The running notebook cell's signal, when the kernel provides one. */
export function currentSignal(): AbortSignal | undefined {
  const hook = (globalThis as Record<symbol, unknown>)[CANCEL_HOOK];
  return typeof hook === "function" ? (hook as () => AbortSignal | undefined)() : undefined;
}

/** Whether `signal` (the caller's) or the running cell's signal has fired. */
export function isCancelled(signal?: AbortSignal): boolean {
  return Boolean(signal?.aborted || currentSignal()?.aborted);
}

/**
 * Throws InterruptedError when the work must stop. `where` names the loop and the step
 * ("fit: step 12 of 600"); `partial` goes on the error.
 */
export function throwIfCancelled(where: string, signal?: AbortSignal, partial?: unknown): void {
  if (isCancelled(signal)) throw new InterruptedError(`${where}: interrupted`, partial);
}
