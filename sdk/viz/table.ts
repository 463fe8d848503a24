// A table that displays itself: rows of plain objects or an arquero table, shown as HTML (for
// notebooks) and Markdown (for exported reports and the terminal), both made by arquero.

import * as aq from "arquero";
import { DISPLAY, type MimeBundle } from "./mime.js";
import { isRecord } from "../io/json.js";

type Frame = ReturnType<typeof aq.from>;

export interface TableOptions {
  /** column -> how to show its values, e.g. {accuracy: (x) => (100 * x).toFixed(1) + "%"} */
  // biome-ignore lint/suspicious/noExplicitAny: a column's values have whatever type the data gives them
  format?: Record<string, (value: any) => string>;
  /** rows shown in a notebook (the kernel's own cap for arquero tables); all rows in toMarkdown() */
  limit?: number;
}

/** What the kernel shows of a long table: beyond this a notebook output is too long to read. */
export const DISPLAY_ROWS = 100;

export class Table {
  /** the arquero table, for further verbs (filter, groupby, ...) */
  readonly frame: Frame;
  private readonly format: NonNullable<TableOptions["format"]>;
  private readonly limit: number;

  constructor(data: readonly object[] | Frame, opts: TableOptions = {}) {
    this.frame = Array.isArray(data) ? aq.from(checkRows(data)) : checkFrame(data);
    this.format = opts.format ?? {};
    this.limit = opts.limit ?? DISPLAY_ROWS;
    const columns = this.frame.columnNames();
    for (const [name, f] of Object.entries(this.format)) {
      if (!columns.includes(name))
        throw new Error(`viz.table: format column "${name}" is not in the table (columns: ${columns.join(", ")})`);
      if (typeof f !== "function") throw new TypeError(`viz.table: format.${name} must be a function (value) => string`);
    }
    if (!(this.limit > 0)) throw new RangeError(`viz.table: limit must be a positive number (got ${this.limit})`);
  }

  get rows(): Record<string, unknown>[] {
    return this.frame.objects() as Record<string, unknown>[];
  }

  get numRows(): number {
    return this.frame.numRows();
  }

  toHTML(limit = Infinity): string {
    return this.frame.toHTML({ limit, format: this.format });
  }

  toMarkdown(limit = Infinity): string {
    return this.frame.toMarkdown({ limit, format: this.format });
  }

  toJSON(): Record<string, unknown>[] {
    return this.rows;
  }

  toString(): string {
    return this.toMarkdown();
  }

  [DISPLAY](): MimeBundle {
    const markdown = this.toMarkdown(this.limit);
    const more = this.numRows > this.limit ? `\n(${this.limit} of ${this.numRows} rows)` : "";
    return { "text/html": this.toHTML(this.limit), "text/markdown": markdown + more, "text/plain": markdown + more };
  }
}

export function table(data: readonly object[] | Frame, opts?: TableOptions): Table {
  return new Table(data, opts);
}

function checkRows(rows: readonly object[]): object[] {
  const i = rows.findIndex((r) => !isRecord(r));
  if (i >= 0) throw new TypeError(`viz.table: rows[${i}] must be an object (got ${rows[i] === null ? "null" : typeof rows[i]})`);
  return rows as object[];
}

function checkFrame(data: unknown): Frame {
  const t = data as Frame;
  if (!t || typeof t.objects !== "function" || typeof t.toHTML !== "function" || typeof t.columnNames !== "function") {
    throw new TypeError("viz.table: data must be an array of objects or an arquero table");
  }
  return t;
}
