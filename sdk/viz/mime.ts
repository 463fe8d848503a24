// The seam with the kernel: an object with a [DISPLAY]() method returns its own MIME bundle
// (Deno's kernel uses the same registered symbol). The SDK never imports the kernel, so the
// symbol and the MIME types it agrees on are spelled out here.

/** `Symbol.for` makes this the same symbol the kernel looks up, with no import between them. */
export const DISPLAY = Symbol.for("Jupyter.display");

/** JupyterLab's built-in renderer takes Vega-Lite v5 only. */
export const VEGA_LITE_MIME = "application/vnd.vegalite.v5+json";
export const VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json";

/** MIME type -> data, as a Jupyter display_data message carries it. */
export type MimeBundle = Record<string, unknown>;
