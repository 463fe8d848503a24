// Completions from live values: the names a cell can see right now and the members of an
// object reached by a dotted path (`sr.models.`). Fast, and right even for untyped values;
// the TypeScript language service adds typed members and docs on top.
// Only property reads happen here, never calls, so completing cannot run user code except
// getters, as in IPython.

const KEYWORDS = [
  "async",
  "await",
  "break",
  "case",
  "catch",
  "class",
  "const",
  "continue",
  "default",
  "delete",
  "do",
  "else",
  "enum",
  "export",
  "extends",
  "false",
  "finally",
  "for",
  "function",
  "if",
  "import",
  "in",
  "instanceof",
  "interface",
  "let",
  "new",
  "null",
  "return",
  "switch",
  "this",
  "throw",
  "true",
  "try",
  "type",
  "typeof",
  "undefined",
  "var",
  "void",
  "while",
  "yield",
];

const IDENTIFIER = /^[\p{ID_Start}$_][\p{ID_Continue}$\u200c\u200d]*$/u;

export interface Completion {
  matches: string[];
  /** UTF-16 offsets of the text the matches replace. */
  start: number;
  end: number;
}

function memberNames(value: unknown): string[] {
  const names = new Set<string>();
  let obj: unknown = value;
  for (let depth = 0; obj !== null && obj !== undefined && depth < 8; depth++) {
    if (obj === Object.prototype) break;
    for (const key of Object.getOwnPropertyNames(obj)) names.add(key);
    obj = Object.getPrototypeOf(obj);
  }
  return [...names].filter((n) => n !== "constructor" && !n.startsWith("__"));
}

/** The identifier path and partial name that end at the cursor: `a.b.c` with `ma`. */
export function tokenAt(code: string, cursor: number): { path: string[]; prefix: string; start: number } {
  const before = code.slice(0, cursor);
  const m = /((?:[\p{ID_Start}$_][\p{ID_Continue}$\u200c\u200d]*\s*\??\.\s*)*)([\p{ID_Start}$_][\p{ID_Continue}$\u200c\u200d]*)?$/u.exec(
    before,
  )!;
  const path = m[1]
    ? m[1]
        .split(".")
        .map((s) => s.replace(/[\s?]/g, ""))
        .filter(Boolean)
    : [];
  const prefix = m[2] ?? "";
  return { path, prefix, start: cursor - prefix.length };
}

export function runtimeComplete(code: string, cursor: number): Completion {
  const { path, prefix, start } = tokenAt(code, cursor);
  let target: unknown = globalThis;
  for (const part of path) {
    try {
      target = (target as Record<string, unknown>)?.[part];
    } catch {
      target = undefined;
    }
    if (target === undefined || target === null) return { matches: [], start, end: cursor };
  }
  const candidates = path.length ? memberNames(target) : [...memberNames(globalThis), ...KEYWORDS];
  const matches = [...new Set(candidates.filter((n) => n.startsWith(prefix) && IDENTIFIER.test(n)))].sort();
  return { matches, start, end: cursor };
}
