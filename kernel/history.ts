// Input history of this kernel process (one kernel session), for history_request:
// tail, range and search as jupyter_client defines them.

export type HistoryEntry = [session: number, line: number, input: string | [string, string | null]];

interface HistoryRecord {
  line: number;
  input: string;
  output: string | null;
}

/** Glob as IPython's history search uses it: * and ? wildcards, the rest literal. */
function globToRegExp(pattern: string): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${body}$`, "s");
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
      const re = globToRegExp(raw);
      let hits = this.records.filter((r) => re.test(r.input));
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
