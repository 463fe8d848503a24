// process.stdout/stderr writes become stream output of the cell that made them (found through
// AsyncLocalStorage, so a timer's console.log lands in the cell that set the timer). Errors that
// escape a cell (a throwing timer, an unhandled rejection) are reported as stderr, never fatal.
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
  process.on("uncaughtException", (e) => reportEscaped("Uncaught error", e));
  process.on("unhandledRejection", (e) => reportEscaped("Unhandled promise rejection", e));
}
