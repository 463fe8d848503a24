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

const IDENTIFIER_PART = /[\p{ID_Continue}$\u200c\u200d]/u;
const IDENTIFIER_HEAD = /[\p{ID_Start}$_]/u;

/** The start of the identifier that ends at `end` (end itself when there is none). */
function identifierBefore(code: string, end: number): number {
  let start = end;
  while (start > 0) {
    const low = code.charCodeAt(start - 1);
    const width = low >= 0xdc00 && low <= 0xdfff && start >= 2 ? 2 : 1;
    if (!IDENTIFIER_PART.test(code.slice(start - width, start))) break;
    start -= width;
  }
  // An identifier cannot start with a digit: `1.5` is no member access.
  while (start < end && !IDENTIFIER_HEAD.test(String.fromCodePoint(code.codePointAt(start)!)))
    start += code.codePointAt(start)! > 0xffff ? 2 : 1;
  return start;
}

function skipSpaceBack(code: string, at: number): number {
  while (at > 0 && /\s/.test(code[at - 1]!)) at--;
  return at;
}

/**
 * The identifier path and partial name that end at the cursor: `a.b.c` with `ma`. Scanned
 * backwards, one character at a time (a regular expression anchored at the end would try every
 * start and take quadratic time on a long chain).
 */
export function tokenAt(code: string, cursor: number): { path: string[]; prefix: string; start: number } {
  const start = identifierBefore(code, cursor);
  const prefix = code.slice(start, cursor);
  const path: string[] = [];
  let at = start;
  for (;;) {
    let dot = skipSpaceBack(code, at);
    if (dot === 0 || code[dot - 1] !== ".") break;
    dot--;
    if (dot > 0 && code[dot - 1] === "?") dot--;
    const end = skipSpaceBack(code, dot);
    const begin = identifierBefore(code, end);
    if (begin === end) break;
    path.push(code.slice(begin, end));
    at = begin;
  }
  return { path: path.reverse(), prefix, start };
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
