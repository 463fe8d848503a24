// Vega-Lite v5 charts: the spec for JupyterLab's own renderer, first, and a PNG rendered here in
// Node (vega draws the SVG, resvg rasterises it) for every front end that cannot run Vega:
// nbconvert's HTML, GitHub's preview, an untrusted notebook in the classic Notebook, the headless
// runner's files. The bundle carries no SVG: nbconvert ranks SVG above PNG and, from 6.5 on,
// strips its child elements, which leaves a blank box where the chart should be.
// vega and resvg are large: they load on the first chart, not at start-up.
import type { MimeBundle, Output } from "./format.js";
import { log } from "./log.js";
import { svgToPng } from "./raster.js";

export const VEGA_LITE_MIME = "application/vnd.vegalite.v5+json";
const SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json";

export async function renderSvg(spec: object): Promise<string> {
  const [vl, vega] = await Promise.all([import("vega-lite"), import("vega")]);
  const compiled = vl.compile(spec as Parameters<typeof vl.compile>[0]).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

let rasterFailed = false;

/**
 * The spec's images beside it: a PNG shown at the chart's own size, or the SVG where the
 * rasteriser cannot load (a platform without a resvg build), which is better than nothing.
 */
export async function chartImages(spec: object): Promise<Output> {
  const svg = await renderSvg(spec);
  if (!rasterFailed) {
    try {
      const png = await svgToPng(svg);
      return {
        data: { "image/png": png.bytes.toString("base64") },
        metadata: { "image/png": { width: png.width, height: png.height } },
      };
    } catch (e) {
      rasterFailed = true;
      log(`charts go out as SVG only: the PNG rasteriser failed: ${(e as Error).message}`);
    }
  }
  return { data: { "image/svg+xml": svg }, metadata: {} };
}

/** One line naming the mark, for front ends that show text only. */
function describe(spec: Record<string, unknown>): string {
  const mark = spec.mark && typeof spec.mark === "object" ? (spec.mark as { type?: unknown }).type : spec.mark;
  return `<Vega-Lite chart: ${String(mark ?? "layered")}>`;
}

export async function vegaLiteOutput(spec: Record<string, unknown>): Promise<Output> {
  if (!spec || typeof spec !== "object") throw new TypeError("display.vegaLite(spec): spec must be a Vega-Lite object");
  const withSchema = { $schema: SCHEMA, ...spec };
  if (typeof withSchema.$schema === "string" && !withSchema.$schema.includes("/vega-lite/v5")) {
    throw new Error(`display.vegaLite: $schema ${withSchema.$schema} is not Vega-Lite v5 (JupyterLab renders only v5)`);
  }
  const images = await chartImages(withSchema);
  // No text/html beside a chart: html ranks above the Vega-Lite renderer in JupyterLab.
  const data: MimeBundle = { [VEGA_LITE_MIME]: withSchema, ...images.data, "text/plain": describe(spec) };
  return { data, metadata: images.metadata };
}
