// `stillroom run`: executes notebooks headless through the kernel's own client, writes the
// executed notebook (nbformat 4.5), each chart as .png and .svg and each table as .md beside it
// (named by the cell's execution count, as the notebook shows it: quickstart.In9.1.png), and
// fails naming the notebook and cell on the first error.
import { randomBytes, randomUUID } from "node:crypto";
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { KernelClient } from "./client.js";
import type { Message } from "./wire.js";
import { kernelInfo } from "./kernel-info.js";
import { VEGA_LITE_MIME, renderSvg } from "./vega.js";

interface Cell {
  id?: string;
  cell_type: "code" | "markdown" | "raw";
  source: string | string[];
  metadata: Record<string, unknown>;
  outputs?: Output[];
  execution_count?: number | null;
}
type Output = Record<string, unknown>;
interface Notebook {
  nbformat: number;
  nbformat_minor: number;
  metadata: Record<string, unknown>;
  cells: Cell[];
}

export interface RunOptions {
  /** Where executed notebooks go, under their own names; by default `<name>.run.ipynb` beside each. */
  outDir?: string;
  /** Write each executed notebook over its source (never without being asked). */
  inplace?: boolean;
  /** Per cell: past it the cell is interrupted, and its kernel killed if it does not stop. */
  timeoutSeconds?: number;
  /** Aborted (reason: the signal's name) when the run must stop: SIGINT or SIGTERM. */
  signal?: AbortSignal;
}

export class CellError extends Error {}

/** The run was stopped by a signal (Ctrl-C, SIGTERM); the exit code says which. */
export class RunStopped extends Error {
  constructor(
    message: string,
    readonly signal: NodeJS.Signals,
  ) {
    super(message);
  }
}

function source(cell: Cell): string {
  return Array.isArray(cell.source) ? cell.source.join("") : cell.source;
}

function readNotebook(path: string): Notebook {
  let nb: Notebook;
  try {
    nb = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new Error(`${path}: not a JSON notebook: ${(e as Error).message}`);
  }
  if (!nb || !Array.isArray(nb.cells)) throw new Error(`${path}: no cells array (is it an .ipynb file?)`);
  if (nb.nbformat !== 4) throw new Error(`${path}: nbformat ${nb.nbformat} is not 4`);
  return nb;
}

/** iopub messages of one execution -> nbformat outputs; update_display_data edits earlier ones. */
function collectOutputs(messages: Message[]): Output[] {
  const outputs: Output[] = [];
  const byDisplayId = new Map<string, Output[]>();
  let clearOnNext = false;
  const push = (o: Output) => {
    if (clearOnNext) {
      outputs.length = 0;
      clearOnNext = false;
    }
    const last = outputs[outputs.length - 1];
    if (o.output_type === "stream" && last?.output_type === "stream" && last.name === o.name)
      last.text = String(last.text) + String(o.text);
    else outputs.push(o);
  };
  for (const m of messages) {
    // biome-ignore lint/suspicious/noExplicitAny: message contents are copied into nbformat outputs as they came
    const c = m.content as Record<string, any>;
    switch (m.header.msg_type) {
      case "stream":
        push({ output_type: "stream", name: c.name, text: c.text });
        break;
      case "display_data": {
        const out = { output_type: "display_data", data: c.data, metadata: c.metadata ?? {} };
        push(out);
        const id = c.transient?.display_id;
        if (id) byDisplayId.set(id, [...(byDisplayId.get(id) ?? []), out]);
        break;
      }
      case "update_display_data":
        for (const out of byDisplayId.get(c.transient?.display_id) ?? []) {
          out.data = c.data;
          out.metadata = c.metadata ?? {};
        }
        break;
      case "execute_result":
        push({ output_type: "execute_result", execution_count: c.execution_count, data: c.data, metadata: c.metadata ?? {} });
        break;
      case "error":
        push({ output_type: "error", ename: c.ename, evalue: c.evalue, traceback: c.traceback });
        break;
      case "clear_output":
        if (c.wait) clearOnNext = true;
        else outputs.length = 0;
        break;
    }
  }
  return outputs;
}

/** Charts (a Vega-Lite spec with its PNG) and tables (text/markdown of an HTML table) become files. */
async function writeArtifacts(outputs: Output[], dir: string, stem: string, executionCount: number): Promise<string[]> {
  const written: string[] = [];
  let n = 0;
  for (const o of outputs) {
    const data = o.data as Record<string, unknown> | undefined;
    if (!data) continue;
    const spec = data[VEGA_LITE_MIME];
    const isChart = typeof spec === "object" && spec !== null;
    const isTable =
      typeof data["text/markdown"] === "string" && typeof data["text/html"] === "string" && String(data["text/html"]).includes("<table");
    if (!isChart && !isTable) continue;
    const base = join(dir, `${stem}.In${executionCount}.${++n}`);
    const files: [string, string | Buffer][] = [];
    if (isTable) files.push([`${base}.md`, String(data["text/markdown"])]);
    else {
      if (typeof data["image/png"] === "string") files.push([`${base}.png`, Buffer.from(data["image/png"], "base64")]);
      // A vector copy for papers and slides; the notebook itself carries the PNG only.
      files.push([`${base}.svg`, typeof data["image/svg+xml"] === "string" ? data["image/svg+xml"] : await renderSvg(spec as object)]);
    }
    for (const [file, contents] of files) {
      atomicWrite(file, contents);
      written.push(file);
    }
  }
  return written;
}

/** Written beside `path` under an unguessable name, then renamed over it: never half a file. */
function atomicWrite(path: string, text: string | Buffer): void {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(8).toString("hex")}.tmp`);
  try {
    writeFileSync(tmp, text, { flag: "wx" });
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** How long an interrupted cell has to answer before the kernel is killed (timeout, Ctrl-C). */
const KILL_AFTER_MS = 10_000;

type Outcome =
  | { kind: "reply"; reply: Message }
  | { kind: "died"; why: string }
  | { kind: "timeout" }
  | { kind: "stopped"; signal: NodeJS.Signals };

function wait(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** An error output that says why a cell has no reply, for the partial notebook. */
function stopOutput(ename: string, evalue: string): Output {
  return { output_type: "error", ename, evalue, traceback: [`${ename}: ${evalue}`] };
}

/** The suffix of an executed notebook written beside its source. */
export const RUN_SUFFIX = ".run.ipynb";

/**
 * Where an executed notebook is written: over its source only with `inplace`; into `outDir`
 * under its own name; else beside it as `<name>.run.ipynb`. A path that would overwrite the
 * source without `inplace` (`--out` naming the notebook's own folder) is refused.
 */
export function outputPath(path: string, options: Pick<RunOptions, "outDir" | "inplace">): { outDir: string; written: string } {
  const source = resolve(path);
  const stem = basename(path, ".ipynb");
  if (options.inplace) return { outDir: dirname(source), written: source };
  const outDir = resolve(options.outDir ?? dirname(source));
  const written = join(outDir, options.outDir === undefined ? `${stem}${RUN_SUFFIX}` : `${stem}.ipynb`);
  if (written === source)
    throw new Error(`${path}: --out ${options.outDir} would overwrite the source notebook; pass --inplace to mean that`);
  return { outDir, written };
}

export async function runNotebook(path: string, options: RunOptions = {}): Promise<{ notebook: string; artifacts: string[] }> {
  const nb = readNotebook(path);
  const { outDir, written } = outputPath(path, options);
  mkdirSync(outDir, { recursive: true });
  const stem = basename(path, ".ipynb");
  const client = await KernelClient.start({ cwd: dirname(resolve(path)), detached: true });
  // The kernel never outlives this process, however it ends.
  const killOnExit = () => client.kill();
  process.once("exit", killOnExit);
  const died = Promise.race([
    client.exited.then((e) => `the kernel died (${e.signal ? `signal ${e.signal}` : `exit code ${e.code}`})`),
    client.watchHeartbeat(),
  ]).then((why) => ({ kind: "died", why }) as Outcome);
  const stopped = new Promise<Outcome>((resolve) => {
    const signal = options.signal;
    if (!signal) return;
    const fire = () => resolve({ kind: "stopped", signal: (signal.reason as NodeJS.Signals) ?? "SIGINT" });
    if (signal.aborted) fire();
    else signal.addEventListener("abort", fire, { once: true });
  });
  const artifacts: string[] = [];
  let count = 0;
  let healthy = true;
  /** Each executed cell's request and how many of its messages are in its outputs. */
  const executed: { cell: Cell; msgId: string; seen: number }[] = [];
  try {
    for (const [i, cell] of nb.cells.entries()) {
      cell.id ??= randomUUID().slice(0, 8);
      if (cell.cell_type !== "code") continue;
      const where = `${path}: cell ${i + 1}`;
      const request = client.message("execute_request", {
        code: source(cell),
        silent: false,
        store_history: true,
        user_expressions: {},
        allow_stdin: false,
        stop_on_error: true,
      });
      const replied = client.send("shell", request).then(({ reply }) => ({ kind: "reply", reply }) as Outcome);
      replied.catch(() => {});
      const timeoutMs = options.timeoutSeconds ? options.timeoutSeconds * 1000 : 0;
      const timedOut = timeoutMs ? wait(timeoutMs).then(() => ({ kind: "timeout" }) as Outcome) : new Promise<Outcome>(() => {});
      const outcome = await Promise.race([replied, died, timedOut, stopped]);
      if (outcome.kind === "timeout" || outcome.kind === "stopped") {
        // Interrupt; a cell that does not answer within the grace period goes with its kernel.
        void client.interrupt().catch(() => {});
        const answered = await Promise.race([replied, died, wait(KILL_AFTER_MS).then(() => null)]);
        if (answered?.kind !== "reply") {
          healthy = false;
          await client.killAndWait();
        }
      }
      const parentId = request.header.msg_id;
      const messages = client.iopubLog.filter((m) => (m.parent_header as { msg_id?: string }).msg_id === parentId);
      cell.outputs = collectOutputs(messages);
      executed.push({ cell, msgId: parentId, seen: messages.length });
      cell.execution_count = outcome.kind === "reply" ? ((outcome.reply.content.execution_count as number) ?? ++count) : null;
      if (cell.execution_count !== null) artifacts.push(...(await writeArtifacts(cell.outputs, outDir, stem, cell.execution_count)));
      let failure: string | null = null;
      if (outcome.kind === "reply" && outcome.reply.content.status !== "ok")
        failure = `${where} failed: ${outcome.reply.content.ename}: ${outcome.reply.content.evalue}`;
      else if (outcome.kind === "died") {
        healthy = false;
        cell.outputs.push(stopOutput("KernelDied", outcome.why));
        failure = `${where}: ${outcome.why} while it ran`;
      } else if (outcome.kind === "timeout") {
        const how = healthy
          ? "and was interrupted"
          : `and did not stop within ${KILL_AFTER_MS / 1000} s of the interrupt, so its kernel was killed`;
        // The kernel's own "execution interrupted" is this timeout's doing: one error, that says so.
        cell.outputs = cell.outputs.filter((o) => !(o.output_type === "error" && o.ename === "InterruptError"));
        cell.outputs.push(
          stopOutput("Timeout", `the cell timed out after ${options.timeoutSeconds} s (--timeout ${options.timeoutSeconds}) ${how}`),
        );
        failure = `${where} timed out after ${options.timeoutSeconds} s${healthy ? " and was interrupted" : `; it did not stop within ${KILL_AFTER_MS / 1000} s of the interrupt, so the kernel was killed`}`;
      } else if (outcome.kind === "stopped") {
        cell.outputs.push(stopOutput("Stopped", `stillroom run received ${outcome.signal}`));
        atomicWrite(written, `${JSON.stringify(finish(nb), null, 1)}\n`);
        throw new RunStopped(`${where}: stopped by ${outcome.signal}; the partial notebook is ${written}`, outcome.signal);
      }
      if (failure) {
        atomicWrite(written, `${JSON.stringify(finish(nb), null, 1)}\n`);
        throw new CellError(`${failure} (partial notebook: ${written})`);
      }
    }
    await lateOutputs(client, executed);
  } finally {
    if (healthy) await client.shutdown();
    else client.close();
    process.off("exit", killOnExit);
  }
  atomicWrite(written, `${JSON.stringify(finish(nb), null, 1)}\n`);
  return { notebook: written, artifacts };
}

/**
 * Type warnings may follow a cell's reply (the kernel does not hold replies for its type check);
 * they come before the answer to a later request other than execute, so a comm_info_request brings them in. Warnings of
 * the first cells, held until the language service has loaded, come if it loaded in time.
 */
async function lateOutputs(client: KernelClient, executed: { cell: Cell; msgId: string; seen: number }[]): Promise<void> {
  await Promise.race([client.request("shell", "comm_info_request", {}), wait(KILL_AFTER_MS)]);
  for (const { cell, msgId, seen } of executed) {
    // Every cell ran to its reply here (a failure ends the run before), so its outputs are exactly
    // what its messages say.
    const messages = client.iopubLog.filter((m) => (m.parent_header as { msg_id?: string }).msg_id === msgId);
    if (messages.length > seen) cell.outputs = collectOutputs(messages);
  }
}

function finish(nb: Notebook): Notebook {
  nb.nbformat = 4;
  nb.nbformat_minor = Math.max(5, nb.nbformat_minor ?? 5);
  const info = kernelInfo("");
  nb.metadata = {
    ...nb.metadata,
    kernelspec: { name: "stillroom", display_name: "TypeScript (Stillroom)", language: "typescript" },
    language_info: { ...info.language_info },
  };
  for (const cell of nb.cells) if (cell.cell_type === "markdown" || cell.cell_type === "raw") delete cell.outputs;
  return nb;
}

/**
 * Exit codes: 0 all ran; 1 a cell failed, timed out or its kernel died; 130 when stopped by Ctrl-C
 * or SIGTERM (one code for "stopped from outside", whichever signal a job runner sends).
 */
const SIGNAL_EXIT: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 130 };

export async function runNotebooks(target: string, options: RunOptions = {}): Promise<number> {
  const paths = statSync(target).isDirectory()
    ? readdirSync(target)
        .filter((f) => f.endsWith(".ipynb") && !f.endsWith(RUN_SUFFIX) && !f.startsWith("."))
        .sort()
        .map((f) => join(target, f))
    : [target];
  if (paths.length === 0) throw new Error(`${target}: no .ipynb files`);
  // Ctrl-C or SIGTERM: the running cell is interrupted, the partial notebook written, the kernel
  // shut down; a second signal does not wait for any of that.
  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (stop.signal.aborted) process.exit(SIGNAL_EXIT[signal] ?? 1);
    stop.abort(signal);
  };
  const signals: NodeJS.Signals[] = ["SIGINT", "SIGTERM"];
  for (const s of signals) process.on(s, onSignal);
  try {
    for (const path of paths) {
      const started = Date.now();
      try {
        const { notebook, artifacts } = await runNotebook(path, { ...options, signal: stop.signal });
        console.log(
          `ran ${path} in ${((Date.now() - started) / 1000).toFixed(1)} s -> ${notebook}${artifacts.length ? ` (+${artifacts.length} files)` : ""}`,
        );
      } catch (e) {
        console.error(`stillroom run: ${(e as Error).message}`);
        return e instanceof RunStopped ? (SIGNAL_EXIT[e.signal] ?? 1) : 1;
      }
      if (stop.signal.aborted) return SIGNAL_EXIT[stop.signal.reason as NodeJS.Signals] ?? 1;
    }
    return 0;
  } finally {
    for (const s of signals) process.off(s, onSignal);
  }
}
