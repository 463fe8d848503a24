// Input history of this kernel process (one kernel session), for history_request:
// tail, range and search as jupyter_client defines them.

export type HistoryEntry = [session: number, line: number, input: string | [string, string | null]];

interface HistoryRecord {
  line: number;
  input: string;
  output: string | null;
}

/**
 * Whether `text` matches the glob `pattern` as IPython's history search (SQLite GLOB) does: `*` any
 * run of characters, `?` one character, the rest literal, anchored at both ends. No regular
 * expression, so no backtracking: the pieces between stars are found left to right, each at its
 * first place, which is enough for a glob (a later piece never needs an earlier one moved right).
 * Time is at most |text| x |pattern|.
 */
export function globMatch(pattern: string, text: string): boolean {
  const pieces = pattern.split("*");
  const at = (piece: string, offset: number) => {
    if (offset + piece.length > text.length) return false;
    for (let i = 0; i < piece.length; i++) if (piece[i] !== "?" && piece[i] !== text[offset + i]) return false;
    return true;
  };
  const first = pieces[0]!;
  if (pieces.length === 1) return first.length === text.length && at(first, 0);
  const last = pieces[pieces.length - 1]!;
  if (!at(first, 0) || first.length + last.length > text.length || !at(last, text.length - last.length)) return false;
  let offset = first.length;
  const end = text.length - last.length;
  for (const piece of pieces.slice(1, -1)) {
    let found = -1;
    for (let i = offset; i + piece.length <= end; i++) {
      if (at(piece, i)) {
        found = i;
        break;
      }
    }
    if (found < 0) return false;
    offset = found + piece.length;
  }
  return true;
}

export class History {
  /** Sessions count from 1; session 0 in a request means the current one. */
  readonly session = 1;
  private readonly records: HistoryRecord[] = [];

  add(line: number, input: string, output: string | null = null): void {
    this.records.push({ line, input, output });
  }

  /** Every input so far, oldest first. */
  inputs(): string[] {
    return this.records.map((r) => r.input);
  }

  private entry(r: HistoryRecord, withOutput: boolean): HistoryEntry {
    return [this.session, r.line, withOutput ? [r.input, r.output] : r.input];
  }

  query(content: Record<string, unknown>): HistoryEntry[] {
    const output = Boolean(content.output);
    const type = content.hist_access_type;
    if (type === "tail") {
      const n = typeof content.n === "number" && content.n >= 0 ? content.n : 10;
      return this.records.slice(Math.max(0, this.records.length - n)).map((r) => this.entry(r, output));
    }
    if (type === "range") {
      const session = typeof content.session === "number" ? content.session : 0;
      // Negative sessions count back from the current one; there is no earlier one here.
      if (session !== 0 && session !== this.session) return [];
      const start = typeof content.start === "number" ? content.start : 0;
      const stop = typeof content.stop === "number" ? content.stop : Infinity;
      return this.records.filter((r) => r.line >= start && r.line < stop).map((r) => this.entry(r, output));
    }
    if (type === "search") {
      const raw = typeof content.pattern === "string" ? content.pattern : "*";
      let hits = this.records.filter((r) => globMatch(raw, r.input));
      if (content.unique) {
        const seen = new Set<string>();
        hits = hits
          .reverse()
          .filter((r) => !seen.has(r.input) && seen.add(r.input))
          .reverse();
      }
      const n = typeof content.n === "number" && content.n > 0 ? content.n : hits.length;
      return hits.slice(Math.max(0, hits.length - n)).map((r) => this.entry(r, output));
    }
    throw new Error(`history_request: hist_access_type ${JSON.stringify(type)} is not tail, range or search`);
  }
}
