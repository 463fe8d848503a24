// Positions in a compiled cell -> positions in the cell as it was typed. A cell goes through two
// steps (rewrite.ts): sucrase strips types (its source map says where each token came from), then
// a few edits make declarations global and may wrap the cell in an async arrow (their spans say
// which text was copied and which was inserted). Lines never move; columns do, by both steps.
import { SourceMap } from "node:module";

/** A stretch of the compiled script, from `at` to the next span's `at`. */
export interface Span {
  /** Offset in the compiled script. */
  at: number;
  /** Offset in the stripped JavaScript: where the copy starts, or where the insertion was made. */
  from: number;
  /** Copied text maps character by character; inserted text maps to where it was inserted. */
  copied: boolean;
  /** Text the kernel wraps around the cell (the async arrow): no position in the cell. */
  wrapper?: boolean;
}

export interface CellPosition {
  /** From 1, as V8 counts. */
  line: number;
  /** From 1, as V8 counts. */
  column: number;
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
  return starts;
}

/** The greatest index i with key(items[i]) <= value, or -1. */
function lastAtOrBefore<T>(items: T[], value: number, key: (item: T) => number): number {
  let lo = 0;
  let hi = items.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (key(items[mid]!) <= value) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

export class CellPositions {
  private readonly compiledLines: number[];
  private readonly strippedLines: number[];
  private readonly cellLines: string[];
  private readonly map: SourceMap;

  constructor(
    cell: string,
    stripped: string,
    /** sucrase's source map of `stripped` against `cell`. */
    sourceMap: object,
    compiled: string,
    private readonly spans: Span[],
  ) {
    this.cellLines = cell.split("\n");
    this.strippedLines = lineStarts(stripped);
    this.compiledLines = lineStarts(compiled);
    this.map = new SourceMap(sourceMap as ConstructorParameters<typeof SourceMap>[0]);
  }

  /** Where a position of the compiled script was typed; null inside the kernel's wrapper. */
  toCell(line: number, column: number): CellPosition | null {
    const lineStart = this.compiledLines[line - 1];
    if (lineStart === undefined) return null;
    const offset = lineStart + column - 1;
    const span = this.spans[lastAtOrBefore(this.spans, offset, (s) => s.at)];
    if (!span || span.wrapper) return null;
    const stripped = span.copied ? span.from + (offset - span.at) : span.from;
    const row = lastAtOrBefore(this.strippedLines, stripped, (s) => s);
    return this.fromStripped(row + 1, stripped - this.strippedLines[row]! + 1);
  }

  /** Where a position of the stripped JavaScript (before the kernel's edits) was typed. */
  fromStripped(line: number, column: number): CellPosition {
    const row = line - 1;
    const col = column - 1;
    const entry = this.map.findEntry(row, col) as {
      generatedLine?: number;
      generatedColumn?: number;
      originalLine?: number;
      originalColumn?: number;
    };
    if (entry.originalLine === undefined || entry.generatedLine !== row) return { line, column };
    const text = this.cellLines[entry.originalLine] ?? "";
    const original = Math.min(entry.originalColumn! + (col - entry.generatedColumn!), text.length);
    return { line: entry.originalLine + 1, column: original + 1 };
  }
}
