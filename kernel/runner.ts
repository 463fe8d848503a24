// `stillroom run`: executes notebooks headless through the kernel's own client, writes the
// executed notebook (nbformat 4.5), each chart as .png and .svg and each table as .md beside it
// (named by the cell's execution count, as the notebook shows it: quickstart.In9.1.png), and
// fails naming the notebook and cell on the first error.
import { randomUUID } from "node:crypto";
import { mkdirSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync } from "node:fs";
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
  outDir?: string;
  timeoutSeconds?: number;
}

export class CellError extends Error {}

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
      writeFileSync(file, contents);
      written.push(file);
    }
  }
  return written;
}

function atomicWrite(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

export async function runNotebook(path: string, options: RunOptions = {}): Promise<{ notebook: string; artifacts: string[] }> {
  const nb = readNotebook(path);
  const outDir = resolve(options.outDir ?? dirname(path));
  mkdirSync(outDir, { recursive: true });
  const stem = basename(path, ".ipynb");
  const client = await KernelClient.start({ cwd: dirname(resolve(path)) });
  const artifacts: string[] = [];
  let count = 0;
  try {
    for (const [i, cell] of nb.cells.entries()) {
      cell.id ??= randomUUID().slice(0, 8);
      if (cell.cell_type !== "code") continue;
      const code = source(cell);
      const timeout = options.timeoutSeconds ? setTimeout(() => void client.interrupt(), options.timeoutSeconds * 1000) : null;
      const { reply, outputs } = await client.execute(code);
      if (timeout) clearTimeout(timeout);
      cell.outputs = collectOutputs(outputs);
      cell.execution_count = (reply.content.execution_count as number) ?? ++count;
      artifacts.push(...(await writeArtifacts(cell.outputs, outDir, stem, cell.execution_count)));
      if (reply.content.status !== "ok") {
        const written = join(outDir, `${stem}.ipynb`);
        atomicWrite(written, `${JSON.stringify(finish(nb), null, 1)}\n`);
        throw new CellError(`${path}: cell ${i + 1} failed: ${reply.content.ename}: ${reply.content.evalue}`);
      }
    }
  } finally {
    await client.shutdown();
  }
  const written = join(outDir, `${stem}.ipynb`);
  atomicWrite(written, `${JSON.stringify(finish(nb), null, 1)}\n`);
  return { notebook: written, artifacts };
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

export async function runNotebooks(target: string, options: RunOptions = {}): Promise<number> {
  const paths = statSync(target).isDirectory()
    ? readdirSync(target)
        .filter((f) => f.endsWith(".ipynb") && !f.startsWith("."))
        .sort()
        .map((f) => join(target, f))
    : [target];
  if (paths.length === 0) throw new Error(`${target}: no .ipynb files`);
  for (const path of paths) {
    const started = Date.now();
    try {
      const { notebook, artifacts } = await runNotebook(path, options);
      console.log(
        `ran ${path} in ${((Date.now() - started) / 1000).toFixed(1)} s -> ${notebook}${artifacts.length ? ` (+${artifacts.length} files)` : ""}`,
      );
    } catch (e) {
      console.error(`stillroom run: ${(e as Error).message}`);
      return 1;
    }
  }
  return 0;
}
