// The display API preloaded into every notebook: display(obj) and its typed helpers, and live
// handles updated in place through update_display_data.
import { randomUUID } from "node:crypto";
import { type MimeBundle, isArqueroTable, mimeBundle } from "./format.js";
import { type CellScope, currentScope } from "./scope.js";
import { vegaLiteBundle } from "./vega.js";

export interface DisplayOptions {
  /** A display id: displaying again with the same id adds another view of one live output. */
  id?: string;
  metadata?: Record<string, unknown>;
}

export interface DisplayHandle {
  readonly id: string;
  /** Resolves once the output has been sent. */
  readonly shown: Promise<void>;
  /** Replaces every view of this display with a new value. */
  update(value: unknown): Promise<void>;
}

/** A handle as a cell's last value shows nothing: display() already showed it. */
const NO_OUTPUT = { [Symbol.for("Jupyter.display")]: () => null };

function scopeOrThrow(): CellScope {
  const scope = currentScope();
  if (!scope) throw new Error("display() needs a running cell");
  return scope;
}

/** A value that is already a bundle (display.html and friends make these). */
class Bundle {
  constructor(readonly bundle: MimeBundle) {}
}

async function toBundle(value: unknown): Promise<MimeBundle> {
  if (value instanceof Bundle) return value.bundle;
  return (await mimeBundle(value)) ?? { "text/plain": "" };
}

function send(scope: CellScope, msgType: "display_data" | "update_display_data", data: MimeBundle, id: string, metadata = {}): void {
  scope.publish(msgType, { data, metadata, transient: { display_id: id } });
}

function show(value: unknown | Promise<unknown>, options: DisplayOptions = {}): DisplayHandle {
  const scope = scopeOrThrow();
  const id = options.id ?? randomUUID();
  // Tracked, so a call without await still lands before the cell's reply.
  const shown = scope.inOrder(Promise.resolve(value).then(toBundle), (data) => send(scope, "display_data", data, id, options.metadata));
  return Object.assign(Object.create(NO_OUTPUT), {
    id,
    shown,
    update: (next: unknown) => scope.inOrder(toBundle(next), (data) => send(scope, "update_display_data", data, id)),
  });
}

function requireString(name: string, value: unknown): string {
  if (typeof value !== "string") throw new TypeError(`display.${name}: expected a string, got ${typeof value}`);
  return value;
}

async function rowsToTable(rows: unknown): Promise<unknown> {
  if (isArqueroTable(rows)) return rows;
  const aq = await import("arquero");
  return aq.from(rows as object[]);
}

export interface Display {
  (value: unknown, options?: DisplayOptions): DisplayHandle;
  html(html: string, options?: DisplayOptions): DisplayHandle;
  markdown(markdown: string, options?: DisplayOptions): DisplayHandle;
  svg(svg: string, options?: DisplayOptions): DisplayHandle;
  png(bytes: Uint8Array, options?: DisplayOptions): DisplayHandle;
  json(value: unknown, options?: DisplayOptions): DisplayHandle;
  /** A Vega-Lite v5 chart, with an SVG rendering beside the spec. */
  vegaLite(spec: Record<string, unknown>, options?: DisplayOptions): DisplayHandle;
  /** An arquero table, or an array of row objects. */
  table(table: unknown, options?: DisplayOptions): DisplayHandle;
  /** Clears the cell's output; with wait, only when the next output arrives (no flicker). */
  clear(options?: { wait?: boolean }): void;
}

function makeDisplay(): Display {
  const display = ((value: unknown, options?: DisplayOptions) => show(value, options)) as Display;
  display.html = (html, o) => show(new Bundle({ "text/html": requireString("html", html), "text/plain": "<HTML>" }), o);
  display.markdown = (md, o) => show(new Bundle({ "text/markdown": requireString("markdown", md), "text/plain": md }), o);
  display.svg = (svg, o) => show(new Bundle({ "image/svg+xml": requireString("svg", svg), "text/plain": "<SVG image>" }), o);
  display.png = (bytes, o) => {
    if (!(bytes instanceof Uint8Array)) throw new TypeError("display.png: expected the PNG file's bytes as a Uint8Array");
    return show(new Bundle({ "image/png": Buffer.from(bytes).toString("base64"), "text/plain": "<PNG image>" }), o);
  };
  display.json = (value, o) => show(new Bundle({ "application/json": value as object, "text/plain": JSON.stringify(value, null, 2) }), o);
  display.vegaLite = (spec, o) =>
    show(
      vegaLiteBundle(spec).then((bundle) => new Bundle(bundle)),
      o,
    );
  display.table = (table, o) => {
    if (!isArqueroTable(table) && !Array.isArray(table))
      throw new TypeError("display.table: expected an arquero table or an array of row objects");
    return show(rowsToTable(table), o);
  };
  display.clear = (options = {}) => {
    const scope = scopeOrThrow();
    void scope.inOrder(Promise.resolve(), () => scope.publish("clear_output", { wait: Boolean(options.wait) }));
  };
  return display;
}

export const display: Display = makeDisplay();
