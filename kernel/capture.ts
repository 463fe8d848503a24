// process.stdout/stderr writes become stream output of the cell that made them (found through
// AsyncLocalStorage, so a timer's console.log lands in the cell that set the timer). Errors that
// escape a cell (a throwing timer, an unhandled rejection) are reported as stderr, never fatal.
//
// Packages may add their own process-wide error listeners: emscripten modules (the wasm backend)
// add uncaughtException and unhandledRejection listeners that rethrow, which ends the process. In
// the kernel, every such listener added by anyone else runs guarded: what it throws is logged, and
// the kernel lives on.
import { log } from "./log.js";
import { type CellScope, cellStorage, currentScope } from "./scope.js";

function captureStream(stream: NodeJS.WriteStream, name: "stdout" | "stderr", find: () => CellScope | undefined): void {
  const original = stream.write.bind(stream);
  stream.write = ((chunk: unknown, encoding?: unknown, callback?: unknown): boolean => {
    const scope = find();
    if (!scope) return original(chunk as string, encoding as BufferEncoding, callback as () => void);
    const text =
      typeof chunk === "string"
        ? chunk
        : Buffer.from(chunk as Uint8Array).toString(typeof encoding === "string" ? (encoding as BufferEncoding) : "utf8");
    scope.write(name, text);
    const done = typeof encoding === "function" ? encoding : callback;
    if (typeof done === "function") queueMicrotask(() => (done as () => void)());
    return true;
  }) as typeof stream.write;
}

function reportEscaped(kind: string, error: unknown): void {
  const scope = currentScope();
  const text = error instanceof Error ? (error.stack ?? String(error)) : String(error);
  if (scope) scope.write("stderr", `${kind}: ${text}\n`);
  else log(`${kind}: ${text}`);
}

let installed = false;

type Listener = (...args: unknown[]) => void;
const FATAL_EVENTS = new Set<string | symbol>(["uncaughtException", "unhandledRejection"]);
/** Original listener -> its guarded wrapper, so removeListener(original) still works. */
const guarded = new WeakMap<Listener, Listener>();

function guardListener(event: string | symbol, listener: Listener): Listener {
  let wrapper = guarded.get(listener);
  if (!wrapper) {
    wrapper = function (this: unknown, ...args: unknown[]) {
      try {
        listener.apply(this, args);
      } catch (e) {
        if (e !== args[0]) log(`a ${String(event)} listener threw: ${(e as Error)?.stack ?? e}`);
      }
    };
    guarded.set(listener, wrapper);
  }
  return wrapper;
}

/** Guards the process-wide error listeners others add from now on, and those already there. */
function guardFatalListeners(ours: Set<Listener>): void {
  const proc = process as unknown as Record<string, (event: string | symbol, listener: Listener) => NodeJS.Process>;
  for (const method of ["on", "addListener", "prependListener", "once", "prependOnceListener"]) {
    const original = proc[method]!.bind(process);
    proc[method] = (event, listener) =>
      original(event, FATAL_EVENTS.has(event) && !ours.has(listener) ? guardListener(event, listener) : listener);
  }
  for (const method of ["off", "removeListener"]) {
    const original = proc[method]!.bind(process);
    proc[method] = (event, listener) => original(event, (FATAL_EVENTS.has(event) && guarded.get(listener)) || listener);
  }
  for (const event of FATAL_EVENTS) {
    for (const listener of process.listeners(event as "uncaughtException") as Listener[]) {
      if (ours.has(listener)) continue;
      process.removeListener(event as "uncaughtException", listener);
      process.on(event as "uncaughtException", guardListener(event, listener));
    }
  }
}

/**
 * With `orphansToLastCell` (the kernel), writes whose origin is unknown go to the latest cell;
 * without it (tests in a runner that owns stdout), they go to the real stream.
 */
export function installOutputCapture(options: { orphansToLastCell: boolean }): void {
  if (installed) return;
  installed = true;
  const find = options.orphansToLastCell ? currentScope : () => cellStorage.getStore();
  captureStream(process.stdout, "stdout", find);
  captureStream(process.stderr, "stderr", find);
  const onException = (e: unknown) => reportEscaped("Uncaught error", e);
  const onRejection = (e: unknown) => reportEscaped("Unhandled promise rejection", e);
  process.on("uncaughtException", onException);
  process.on("unhandledRejection", onRejection);
  if (options.orphansToLastCell) guardFatalListeners(new Set<Listener>([onException, onRejection]));
}
