// The seam with the kernel: an object with a [DISPLAY]() method returns its own MIME bundle
// (Deno's kernel uses the same registered symbol). The SDK never imports the kernel, so the
// symbol and the MIME types it agrees on are spelled out here.

/** `Symbol.for` makes this the same symbol the kernel looks up, with no import between them. */
export const DISPLAY = Symbol.for("Jupyter.display");

/**
 * An object best shown as several outputs (a table, then its chart) returns their bundles from
 * this method, in order; Stillroom's kernel shows each as an output of its own. One bundle cannot
 * carry both: each front end picks one MIME type per output (JupyterLab the chart, nbconvert and
 * the classic Notebook the table). [DISPLAY] stays the one-bundle form for other kernels.
 */
export const DISPLAY_PARTS = Symbol.for("stillroom.displayParts");

/** JupyterLab's built-in renderer takes Vega-Lite v5 only. */
export const VEGA_LITE_MIME = "application/vnd.vegalite.v5+json";
export const VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json";

/** MIME type -> data, as a Jupyter display_data message carries it. */
export type MimeBundle = Record<string, unknown>;
