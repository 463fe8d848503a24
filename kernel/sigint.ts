// SIGINT on the kernel's main thread. vm's breakOnSigint stops a synchronous cell through a
// watchdog thread that Node starts and joins on every call, moving the process's 'SIGINT'
// listeners off and back on around it (closing and opening a libuv signal handle): 0.15 ms a cell
// on a quiet machine, close to 1 ms on a busy one. Node counts the watchdog's users, so one use
// held for the kernel's life makes each cell's start and stop a count, and with no 'SIGINT'
// listener vm leaves the listeners alone. The held watchdog then owns SIGINT: a signal that comes
// while no script runs is kept as pending, and takePendingSigint reads and clears it.

interface WatchdogBinding {
  startSigintWatchdog(): boolean;
  /** True when a SIGINT came while no script was watched; the use's count goes down by one. */
  stopSigintWatchdog(): boolean;
  watchdogHasPendingSigint(): boolean;
}

let binding: WatchdogBinding | null = null;

function watchdogBinding(): WatchdogBinding | null {
  const quiet = process.noDeprecation;
  process.noDeprecation = true;
  try {
    const b = (process as unknown as { binding(name: string): Partial<WatchdogBinding> }).binding("contextify");
    return typeof b.startSigintWatchdog === "function" &&
      typeof b.stopSigintWatchdog === "function" &&
      typeof b.watchdogHasPendingSigint === "function"
      ? (b as WatchdogBinding)
      : null;
  } catch {
    return null;
  } finally {
    process.noDeprecation = quiet;
  }
}

/** Holds the watchdog for the process's life; false where Node does not offer it (then listen for 'SIGINT'). */
export function holdSigintWatchdog(): boolean {
  if (binding) return true;
  const b = watchdogBinding();
  if (!b?.startSigintWatchdog()) return false;
  binding = b;
  return true;
}

/** Whether a SIGINT came while no script ran, since the last call; clears it. */
export function takePendingSigint(): boolean {
  if (!binding?.watchdogHasPendingSigint()) return false;
  // A use's stop that leaves the held one running returns the pending signal and clears it.
  binding.startSigintWatchdog();
  return binding.stopSigintWatchdog();
}

/**
 * Gives the held watchdog back. Needed once a cell adds its own 'SIGINT' listener: libuv's
 * handler then replaces the watchdog's, and only Node's own way (vm moving the listeners off
 * around each call, which starts a watchdog afresh) puts the watchdog back in front of a script.
 */
export function releaseSigintWatchdog(): void {
  if (!binding) return;
  binding.stopSigintWatchdog();
  binding = null;
}
