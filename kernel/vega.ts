// Vega-Lite v5 bundles: the spec for JupyterLab's own renderer, plus an SVG rendered here in
// Node so nbconvert's HTML, GitHub previews and the headless runner's files show the chart too.
// vega is large: it loads on the first chart, not at start-up.
import type { MimeBundle } from "./format.js";

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

export async function vegaLiteBundle(spec: Record<string, unknown>): Promise<MimeBundle> {
  if (!spec || typeof spec !== "object") throw new TypeError("display.vegaLite(spec): spec must be a Vega-Lite object");
  const withSchema = { $schema: SCHEMA, ...spec };
  if (typeof withSchema.$schema === "string" && !withSchema.$schema.includes("/vega-lite/v5")) {
    throw new Error(`display.vegaLite: $schema ${withSchema.$schema} is not Vega-Lite v5 (JupyterLab renders only v5)`);
  }
  const svg = await renderSvg(withSchema);
  // No text/html beside a chart: html ranks above the Vega-Lite renderer in JupyterLab.
  return {
    [VEGA_LITE_MIME]: withSchema,
    "image/svg+xml": svg,
    "text/plain": `<Vega-Lite chart: ${String(spec.mark && typeof spec.mark === "object" ? (spec.mark as { type?: unknown }).type : (spec.mark ?? "layered"))}>`,
  };
}
