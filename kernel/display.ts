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
  /** Replaces every view of this display with a new value. */
  update(value: unknown): Promise<void>;
}

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
  return value instanceof Bundle ? value.bundle : mimeBundle(value);
}

function send(scope: CellScope, msgType: "display_data" | "update_display_data", data: MimeBundle, id: string, metadata = {}): void {
  scope.publish(msgType, { data, metadata, transient: { display_id: id } });
}

function show(value: unknown, options: DisplayOptions = {}): Promise<DisplayHandle> {
  const scope = scopeOrThrow();
  const id = options.id ?? randomUUID();
  const handle: DisplayHandle = {
    id,
    update: (next) => scope.track(toBundle(next).then((data) => send(scope, "update_display_data", data, id))),
  };
  // Tracked, so a call without await still lands before the cell's reply.
  return scope.track(toBundle(value).then((data) => (send(scope, "display_data", data, id, options.metadata), handle)));
}

function requireString(name: string, value: unknown): string {
  if (typeof value !== "string") throw new TypeError(`display.${name}: expected a string, got ${typeof value}`);
  return value;
}

function rowsToTable(rows: unknown): Promise<unknown> {
  if (isArqueroTable(rows)) return Promise.resolve(rows);
  if (!Array.isArray(rows)) throw new TypeError("display.table: expected an arquero table or an array of row objects");
  return import("arquero").then((aq) => aq.from(rows as object[]));
}

export interface Display {
  (value: unknown, options?: DisplayOptions): Promise<DisplayHandle>;
  html(html: string, options?: DisplayOptions): Promise<DisplayHandle>;
  markdown(markdown: string, options?: DisplayOptions): Promise<DisplayHandle>;
  svg(svg: string, options?: DisplayOptions): Promise<DisplayHandle>;
  png(bytes: Uint8Array, options?: DisplayOptions): Promise<DisplayHandle>;
  json(value: unknown, options?: DisplayOptions): Promise<DisplayHandle>;
  vegaLite(spec: Record<string, unknown>, options?: DisplayOptions): Promise<DisplayHandle>;
  table(table: unknown, options?: DisplayOptions): Promise<DisplayHandle>;
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
  display.vegaLite = (spec, o) => {
    const scope = scopeOrThrow();
    return scope.track(vegaLiteBundle(spec)).then((bundle) => show(new Bundle(bundle), o));
  };
  display.table = (table, o) => {
    const scope = scopeOrThrow();
    return scope.track(rowsToTable(table)).then((t) => show(t, o));
  };
  display.clear = (options = {}) => scopeOrThrow().publish("clear_output", { wait: Boolean(options.wait) });
  return display;
}

export const display: Display = makeDisplay();
