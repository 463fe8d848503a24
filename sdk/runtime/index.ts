// sr.runtime: how long work is stopped (see cancel.ts).
export { CANCEL_HOOK, InterruptedError, currentSignal, isCancelled, throwIfCancelled } from "./cancel.js";
