// Interrupts across the kernel's two threads. The IO thread receives interrupt_request; the main
// thread runs the cell. They share a few integers, so the IO thread can tell a cell "stop" even
// while the main thread never returns to its event loop, and can tell whether it did:
//
// 1. The IO thread records which cell to stop (TARGET), raises SIGINT (vm's breakOnSigint stops a
//    synchronous script at once) and posts "interrupt" to the main thread.
// 2. The SDK's loops (fit, generate, scoring) read TARGET through the cancellation hook at every step
//    and stop by themselves, with their state consistent (see preload.ts).
// 3. The main thread answers the post (ACK) when its event loop gets to it: it rejects the cell's
//    pending await and aborts the cell's signal, which also drops the timers the cell set.
// 4. A main thread that neither acknowledges nor finishes the cell within TERMINATE_AFTER_MS is
//    running code that never yields (`await null; while (true) {}`): the IO thread stops that
//    JavaScript through the inspector (Runtime.terminateExecution), and posts "terminated".
//    Terminated code runs no `after` hook, so Node's async-context stack would be left with the
//    stopped continuation on it, which Node checks (and aborts on) when the task ends. So first,
//    through the same inspector, the IO thread runs BEFORE_TERMINATION on the main thread, nested
//    inside the stuck code: it turns the async hooks off (so a loop of awaits pushes nothing more
//    before the termination lands) and empties that stack, as Node itself does after an uncaught
//    error. The next request turns the hooks back on. When the stuck code is inside Node's own
//    async-hook code (the cell context's init hook runs for every promise), turning hooks off
//    there would only change a copy Node puts back later, and a termination there leaves Node's
//    hook call depth raised for good: BEFORE_TERMINATION answers "not here" and the IO thread
//    asks again a few milliseconds later.
//
// STATE guards the one race: the IO thread swaps RUNNING for TERMINATING before it terminates, and
// the main thread swaps RUNNING for IDLE when the cell ends. Whoever swaps first wins; a main
// thread that loses waits for the termination, so it never lands on the kernel's own code.

export enum Slot {
  /** The cell now running (a count from 1), 0 before the first. */
  Cell = 0,
  /** IDLE, RUNNING or TERMINATING. */
  State = 1,
  /** The cell the latest interrupt is for. */
  Target = 2,
  /** The latest interrupt the main thread has answered. */
  Ack = 3,
  /** 1 while a SIGINT the IO thread raised has not been seen by the main thread. */
  OwnSignal = 4,
}

/** Symbol.for() name of the main thread's hook that readies it for termination (executor.ts). */
export const BEFORE_TERMINATION = "stillroom.beforeTermination";

export const IDLE = 0;
export const RUNNING = 1;
export const TERMINATING = 2;

/** How long a main thread has to answer an interrupt before its JavaScript is terminated. */
export const TERMINATE_AFTER_MS = 1500;

let shared: Int32Array | undefined;

/** The shared integers, made once by the main thread, which hands them to the IO thread. */
export function sharedInterrupts(): Int32Array {
  shared ??= new Int32Array(new SharedArrayBuffer(5 * Int32Array.BYTES_PER_ELEMENT));
  return shared;
}

/** Posted by the IO thread to the main thread. */
export type InterruptNotice = { kind: "interrupt"; seq: number; cell: number } | { kind: "terminated"; cell: number };
