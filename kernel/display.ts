// The display API preloaded into every notebook: display(obj) and its typed helpers, and live
// handles updated in place through update_display_data. A handle keeps the kind it was made
// with: display.markdown's handle updates with Markdown, display.vegaLite's with a chart.
import { randomUUID } from "node:crypto";
import { type MimeBundle, type Output, displayOutput, displayOutputs, isArqueroTable } from "./format.js";
import { type CellScope, currentScope } from "./scope.js";
import { vegaLiteOutput } from "./vega.js";

export interface DisplayOptions {
  /** A display id: displaying again with the same id adds another view of one live output. */
  id?: string;
  metadata?: Record<string, unknown>;
}

export interface DisplayHandle<T = unknown> {
  readonly id: string;
  /** Resolves once the output has been sent. */
  readonly shown: Promise<void>;
  /**
   * Replaces every view of this display: with a value of the handle's kind (a string for
   * display.markdown's handle, a spec for display.vegaLite's), or with a MIME bundle, a plain
   * object whose keys are all MIME types ({"text/html": "<b>done</b>"}), to change the kind.
   */
  update(value: T | MimeBundle): Promise<void>;
}

/**
 * value -> output for one kind of display; throws at once on a value of the wrong type. A value
 * shown in parts (format.ts, DISPLAY_PARTS) gives one output per part.
 */
type Kind = (value: unknown) => Promise<Output | Output[]>;

/** A handle as a cell's last value shows nothing: display() already showed it. */
const NO_OUTPUT = { [Symbol.for("Jupyter.display")]: () => null };

const MIME_TYPE = /^[a-z]+\/[a-z0-9.+-]+$/i;

/** A plain object whose keys are all MIME types is a bundle, sent as it is. */
export function isMimeBundle(value: unknown): value is MimeBundle {
  if (!value || typeof value !== "object" || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  const keys = Object.keys(value);
  return keys.length > 0 && keys.every((k) => MIME_TYPE.test(k));
}

function scopeOrThrow(): CellScope {
  const scope = currentScope();
  if (!scope) throw new Error("display() needs a running cell");
  return scope;
}

function send(scope: CellScope, msgType: "display_data" | "update_display_data", output: Output, id: string, metadata = {}): void {
  scope.publish(msgType, { data: output.data, metadata: { ...output.metadata, ...metadata }, transient: { display_id: id } });
}

/** The display id of each part: the handle's own for the first, `${id}/part-${i}` after it. */
const partId = (id: string, i: number) => (i === 0 ? id : `${id}/part-${i}`);

function show<T>(value: unknown, kind: Kind, options: DisplayOptions = {}): DisplayHandle<T> {
  const scope = scopeOrThrow();
  const id = options.id ?? randomUUID();
  const each = (msgType: "display_data" | "update_display_data") => (out: Output | Output[]) => {
    for (const [i, o] of (Array.isArray(out) ? out : [out]).entries()) send(scope, msgType, o, partId(id, i), options.metadata);
  };
  // Tracked, so a call without await still lands before the cell's reply.
  const shown = scope.inOrder(kind(value), each("display_data"));
  const update = (next: unknown) => {
    const output = isMimeBundle(next) ? Promise.resolve({ data: next, metadata: {} }) : kind(next);
    return scope.inOrder(output, each("update_display_data"));
  };
  return Object.assign(Object.create(NO_OUTPUT), { id, shown, update });
}

/** Any value, with its richest bundle, or its parts; a promise is shown once it settles. */
const anyValue: Kind = async (value) => {
  const outputs = await displayOutputs(await value);
  return outputs.length ? outputs : { data: { "text/plain": "" }, metadata: {} };
};

function requireString(name: string, value: unknown): string {
  if (typeof value !== "string") throw new TypeError(`display.${name}: expected a string, got ${typeof value}`);
  return value;
}

/** A kind whose bundle is made from a string, checked before anything is sent. */
function textKind(name: string, bundle: (text: string) => MimeBundle): Kind {
  return (value) => {
    const data = bundle(requireString(name, value));
    return Promise.resolve({ data, metadata: {} });
  };
}

const html = textKind("html", (s) => ({ "text/html": s, "text/plain": "<HTML>" }));
const markdown = textKind("markdown", (s) => ({ "text/markdown": s, "text/plain": s }));
const svg = textKind("svg", (s) => ({ "image/svg+xml": s, "text/plain": "<SVG image>" }));

const png: Kind = (bytes) => {
  if (!(bytes instanceof Uint8Array)) throw new TypeError("display.png: expected the PNG file's bytes as a Uint8Array");
  return Promise.resolve({ data: { "image/png": Buffer.from(bytes).toString("base64"), "text/plain": "<PNG image>" }, metadata: {} });
};

const json: Kind = (value) =>
  Promise.resolve({ data: { "application/json": value as object, "text/plain": JSON.stringify(value, null, 2) }, metadata: {} });

const vegaLite: Kind = (spec) => {
  if (!spec || typeof spec !== "object" || Array.isArray(spec))
    throw new TypeError("display.vegaLite(spec): spec must be a Vega-Lite object");
  return vegaLiteOutput(spec as Record<string, unknown>);
};

const table: Kind = (rows) => {
  if (!isArqueroTable(rows) && !Array.isArray(rows))
    throw new TypeError("display.table: expected an arquero table or an array of row objects");
  return (async () => {
    const frame = isArqueroTable(rows) ? rows : (await import("arquero")).from(rows as object[]);
    return (await displayOutput(frame))!;
  })();
};

export interface Display {
  (value: unknown, options?: DisplayOptions): DisplayHandle;
  html(html: string, options?: DisplayOptions): DisplayHandle<string>;
  markdown(markdown: string, options?: DisplayOptions): DisplayHandle<string>;
  svg(svg: string, options?: DisplayOptions): DisplayHandle<string>;
  png(bytes: Uint8Array, options?: DisplayOptions): DisplayHandle<Uint8Array>;
  json(value: unknown, options?: DisplayOptions): DisplayHandle;
  /** A Vega-Lite v5 chart, with a PNG rendering beside the spec. */
  vegaLite(spec: Record<string, unknown>, options?: DisplayOptions): DisplayHandle<Record<string, unknown>>;
  /** An arquero table, or an array of row objects. */
  table(table: unknown, options?: DisplayOptions): DisplayHandle;
  /** Clears the cell's output; with wait, only when the next output arrives (no flicker). */
  clear(options?: { wait?: boolean }): void;
}

function makeDisplay(): Display {
  const display = ((value: unknown, options?: DisplayOptions) => show(value, anyValue, options)) as Display;
  display.html = (s, o) => show(s, html, o);
  display.markdown = (s, o) => show(s, markdown, o);
  display.svg = (s, o) => show(s, svg, o);
  display.png = (bytes, o) => show(bytes, png, o);
  display.json = (value, o) => show(value, json, o);
  display.vegaLite = (spec, o) => show(spec, vegaLite, o);
  display.table = (rows, o) => show(rows, table, o);
  display.clear = (options = {}) => {
    const scope = scopeOrThrow();
    void scope.inOrder(Promise.resolve(), () => scope.publish("clear_output", { wait: Boolean(options.wait) }));
  };
  return display;
}

export const display: Display = makeDisplay();
