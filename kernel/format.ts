// Values -> MIME bundles. The one seam with the SDK: an object that implements
// [Symbol.for("Jupyter.display")]() returns its own bundle (Deno's kernel uses the same symbol).
import { inspect } from "node:util";
import { VEGA_LITE_MIME, chartImages } from "./vega.js";

export type MimeBundle = Record<string, unknown>;

/** What a display_data or execute_result carries: the bundle and its per-type metadata. */
export interface Output {
  data: MimeBundle;
  metadata: Record<string, unknown>;
}

export const JUPYTER_DISPLAY = Symbol.for("Jupyter.display");

/**
 * An object that is best shown as several outputs (a table and its chart) returns their bundles,
 * in order, from this method. One bundle cannot carry both: every front end picks one MIME type
 * per output (JupyterLab the chart, nbconvert and the classic Notebook the table). A kernel that
 * does not know the symbol falls back to the object's [Jupyter.display] bundle.
 */
export const DISPLAY_PARTS = Symbol.for("stillroom.displayParts");

interface ArqueroLike {
  numRows(): number;
  toHTML(options?: object): string;
  toMarkdown(options?: object): string;
}

interface TensorLike {
  shape: number[];
  dtype: string;
  isDisposed: boolean;
  toString(verbose?: boolean): string;
}

export function isArqueroTable(value: unknown): value is ArqueroLike {
  const v = value as ArqueroLike;
  return !!v && typeof v.toHTML === "function" && typeof v.toMarkdown === "function" && typeof v.numRows === "function";
}

function isTensor(value: unknown): value is TensorLike {
  const v = value as TensorLike;
  return !!v && Array.isArray(v.shape) && typeof v.dtype === "string" && typeof v.isDisposed === "boolean";
}

const MAX_STRING = 10_000;

/**
 * Plain text without ANSI colours: frontends and jupyter_kernel_test compare it exactly.
 * A string of one line is quoted, as the REPL shows it (so '42' is not mistaken for 42). A
 * string of several lines is shown as its text: a cell ending in one is a listing or a report
 * meant to be read, and the REPL's form, a quoted line per line joined by `+`, is code to parse
 * by eye, not output.
 */
export function plainText(value: unknown): string {
  if (typeof value === "string") {
    if (!value.includes("\n")) return inspect(value, { colors: false });
    const more = value.length - MAX_STRING;
    return more > 0 ? `${value.slice(0, MAX_STRING)}... ${more} more characters` : value;
  }
  return inspect(value, { colors: false, depth: 4, maxArrayLength: 100, maxStringLength: MAX_STRING, breakLength: 100 });
}

const TABLE_ROWS = 100;

/** The value's output; null when the value asks to show nothing (its display method returns null). */
export async function displayOutput(value: unknown): Promise<Output | null> {
  const own = (value as Record<symbol, unknown> | null)?.[JUPYTER_DISPLAY];
  if (typeof own === "function") {
    const bundle = await own.call(value);
    if (bundle === null) return null;
    if (typeof bundle === "object") return withChartImage({ "text/plain": plainText(value), ...(bundle as MimeBundle) });
  }
  if (isArqueroTable(value)) {
    const limit = { limit: TABLE_ROWS };
    return plain({ "text/html": value.toHTML(limit), "text/markdown": value.toMarkdown(limit), "text/plain": value.toMarkdown(limit) });
  }
  if (isTensor(value)) {
    const text = value.isDisposed ? `Tensor (disposed) ${value.dtype}[${value.shape}]` : value.toString(true);
    return plain({ "text/plain": text });
  }
  return plain({ "text/plain": plainText(value) });
}

/**
 * The value's outputs: its display parts, each a bundle of its own, when it has them; else its one
 * output, or none when it asks to show nothing.
 */
export async function displayOutputs(value: unknown): Promise<Output[]> {
  const parts = (value as Record<symbol, unknown> | null)?.[DISPLAY_PARTS];
  if (typeof parts === "function") {
    const bundles: unknown = await parts.call(value);
    if (Array.isArray(bundles) && bundles.length > 0 && bundles.every((b) => b !== null && typeof b === "object")) {
      return Promise.all((bundles as MimeBundle[]).map((b) => withChartImage(b)));
    }
  }
  const one = await displayOutput(value);
  return one ? [one] : [];
}

/** The value's bundle alone (user_expressions carry no metadata). */
export async function mimeBundle(value: unknown): Promise<MimeBundle | null> {
  return (await displayOutput(value))?.data ?? null;
}

function plain(data: MimeBundle): Output {
  return { data, metadata: {} };
}

/**
 * An object's own Vega-Lite chart gets a PNG rendering beside it (exported notebooks and the
 * runner's files show that), and no HTML, which would outrank the chart in JupyterLab. A bundle
 * that brings its own image keeps it.
 */
async function withChartImage(bundle: MimeBundle): Promise<Output> {
  const spec = bundle[VEGA_LITE_MIME];
  if (!spec || typeof spec !== "object" || "image/png" in bundle) return plain(bundle);
  const { "text/html": _html, ...rest } = bundle;
  const images = await chartImages(spec);
  return { data: { ...rest, ...images.data }, metadata: images.metadata };
}
