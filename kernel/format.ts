// Values -> MIME bundles. The one seam with the SDK: an object that implements
// [Symbol.for("Jupyter.display")]() returns its own bundle (Deno's kernel uses the same symbol).
import { inspect } from "node:util";
import { VEGA_LITE_MIME, renderSvg } from "./vega.js";

export type MimeBundle = Record<string, unknown>;

export const JUPYTER_DISPLAY = Symbol.for("Jupyter.display");

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

/** Plain text without ANSI colours: frontends and jupyter_kernel_test compare it exactly. */
export function plainText(value: unknown): string {
  if (typeof value === "string") return inspect(value, { colors: false });
  return inspect(value, { colors: false, depth: 4, maxArrayLength: 100, maxStringLength: 10_000, breakLength: 100 });
}

const TABLE_ROWS = 100;

/** The value's bundle; null when the value asks to show nothing (its display method returns null). */
export async function mimeBundle(value: unknown): Promise<MimeBundle | null> {
  const own = (value as Record<symbol, unknown> | null)?.[JUPYTER_DISPLAY];
  if (typeof own === "function") {
    const bundle = await own.call(value);
    if (bundle === null) return null;
    if (typeof bundle === "object") return withChartImage({ "text/plain": plainText(value), ...(bundle as MimeBundle) });
  }
  if (isArqueroTable(value)) {
    const limit = { limit: TABLE_ROWS };
    return { "text/html": value.toHTML(limit), "text/markdown": value.toMarkdown(limit), "text/plain": value.toMarkdown(limit) };
  }
  if (isTensor(value)) {
    const text = value.isDisposed ? `Tensor (disposed) ${value.dtype}[${value.shape}]` : value.toString(true);
    return { "text/plain": text };
  }
  return { "text/plain": plainText(value) };
}

/**
 * An object's own Vega-Lite chart gets the SVG rendering beside it (exported notebooks and the
 * runner's files show that), and no HTML, which would outrank the chart in JupyterLab.
 */
async function withChartImage(bundle: MimeBundle): Promise<MimeBundle> {
  const spec = bundle[VEGA_LITE_MIME];
  if (!spec || typeof spec !== "object" || "image/svg+xml" in bundle) return bundle;
  const { "text/html": _html, ...rest } = bundle;
  return { ...rest, "image/svg+xml": await renderSvg(spec) };
}
