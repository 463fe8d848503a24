// Completions of the cell being edited, from the TypeScript language service.
import ts from "typescript";
import { QUERY_PREFIX, type VirtualProject } from "./project.js";

export interface Completion {
  matches: string[];
  /** UTF-16 offsets of the text the matches replace. */
  start: number;
  end: number;
}

const IDENTIFIER_CHAR = /[\p{ID_Continue}$\u200c\u200d]/u;

export function isIdentifierChar(c: string): boolean {
  return IDENTIFIER_CHAR.test(c);
}

/** A cursor inside the code: an integer in [0, length] (anything else means the end). */
export function clamp(cursor: number, length: number): number {
  return Number.isFinite(cursor) ? Math.max(0, Math.min(length, Math.trunc(cursor))) : length;
}

/** The start of the identifier that ends at `cursor` (scanning back over identifier characters). */
export function identifierStart(code: string, cursor: number): number {
  let start = cursor;
  while (start > 0) {
    const low = code.charCodeAt(start - 1);
    const width = low >= 0xdc00 && low <= 0xdfff && start >= 2 ? 2 : 1;
    if (!IDENTIFIER_CHAR.test(code.slice(start - width, start))) break;
    start -= width;
  }
  return start;
}

/** Completions at `cursor`, less the names in `hidden` (renamed bindings, shim namespaces). */
export function complete(project: VirtualProject, hidden: ReadonlySet<string>, code: string, cursor: number): Completion {
  cursor = clamp(cursor, code.length);
  const file = project.setQuery(code);
  const info = project.service.getCompletionsAtPosition(file, cursor + QUERY_PREFIX.length, {
    includeCompletionsForModuleExports: false,
    includeCompletionsWithInsertText: false,
  });
  let start = identifierStart(code, cursor);
  if (!info) return { matches: [], start, end: cursor };
  const spanned = info.entries.find((e) => e.replacementSpan);
  if (spanned?.replacementSpan) start = spanned.replacementSpan.start - QUERY_PREFIX.length;
  const end = spanned?.replacementSpan ? start + spanned.replacementSpan.length : cursor;
  const typed = code.slice(start, Math.min(cursor, end)).replace(/^["'`]/, "");
  const lower = typed.toLowerCase();
  const entries = info.entries.filter(
    (e) =>
      e.kind !== ts.ScriptElementKind.warning &&
      !hidden.has(e.name) &&
      (!spanned ||
        !e.replacementSpan ||
        (e.replacementSpan.start === spanned.replacementSpan!.start && e.replacementSpan.length === spanned.replacementSpan!.length)) &&
      e.name.toLowerCase().startsWith(lower),
  );
  const rank = (e: ts.CompletionEntry) => (e.name.startsWith(typed) ? 0 : 1);
  entries.sort(
    (a, b) =>
      rank(a) - rank(b) ||
      (a.sortText < b.sortText ? -1 : a.sortText > b.sortText ? 1 : 0) ||
      (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );
  return { matches: [...new Set(entries.map((e) => e.name))], start, end };
}
