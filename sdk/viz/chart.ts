// A Vega-Lite v5 spec that displays itself. The kernel adds the SVG rendering beside any
// Vega-Lite bundle, so nothing is rendered here and the SDK stays free of vega.

import { DISPLAY, VEGA_LITE_MIME, VEGA_LITE_SCHEMA, type MimeBundle } from "./mime.js";

export type Spec = Record<string, unknown>;

export class Chart {
  readonly spec: Spec;

  constructor(spec: Spec) {
    if (!spec || typeof spec !== "object" || Array.isArray(spec)) throw new TypeError("viz.Chart: spec must be a Vega-Lite object");
    const schema = spec.$schema ?? VEGA_LITE_SCHEMA;
    // JupyterLab renders v5 only: another version would show as a blank output
    if (typeof schema !== "string" || !schema.includes("/vega-lite/v5")) {
      throw new Error(`viz.Chart: $schema ${String(schema)} is not Vega-Lite v5 (JupyterLab renders only v5)`);
    }
    this.spec = { $schema: schema, ...spec };
  }

  /** JSON.stringify(chart) is the spec, ready for any Vega-Lite renderer. */
  toJSON(): Spec {
    return this.spec;
  }

  /** One line: mark, what is plotted against what, and how many rows. */
  toString(): string {
    const s = this.spec as {
      title?: unknown;
      mark?: string | { type?: string };
      encoding?: Record<string, { field?: string } | undefined>;
      data?: { values?: unknown[] };
    };
    const mark = typeof s.mark === "string" ? s.mark : (s.mark?.type ?? "layered");
    const field = (c: string) => s.encoding?.[c]?.field;
    const what = field("y") && field("x") ? `: ${field("y")} by ${field("x")}` : "";
    const series = field("color") ? `, per ${field("color")}` : "";
    const rows = Array.isArray(s.data?.values) ? `, ${s.data.values.length} rows` : "";
    const title = typeof s.title === "string" ? ` "${s.title}"` : "";
    return `<Vega-Lite ${mark} chart${title}${what}${series}${rows}>`;
  }

  [DISPLAY](): MimeBundle {
    return { [VEGA_LITE_MIME]: this.spec, "text/plain": this.toString() };
  }
}
