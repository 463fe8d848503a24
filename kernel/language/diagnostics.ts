// Type errors of the cell about to run, as readable lines with cell line numbers.
import ts from "typescript";
import { QUERY_PREFIX, type VirtualProject } from "./project.js";

/** Diagnostics that come from modelling a notebook as files, never from the cell itself. */
const REPL_ARTEFACTS = new Set([
  1375, // 'await' expressions are only allowed at the top level of a file when that file is a module
  1378, // top-level 'await' needs module es2022+
  1431, // 'for await' loops are only allowed at the top level of a file when that file is a module
  1432, // top-level 'for await' needs module es2022+
  1208, // isolatedModules: a file that is not a module
  2451, // Cannot redeclare block-scoped variable
  2686, // a UMD global used from a module
  7016, // no declaration file for a JavaScript package: the import still works at run time
]);

/**
 * Reported where a cell names an earlier cell's binding in its own redeclaration
 * (`let x = x + 1`): the kernel runs cells with var semantics, so the old value is read.
 */
const SELF_REFERENCE = new Set([
  2448, // Block-scoped variable used before its declaration
  2449, // Class used before its declaration
  2450, // Enum used before its declaration
  7022, // implicitly has type 'any' because it is referenced in its own initializer
  7023, // function implicitly has return type 'any' (same cause)
]);

/**
 * Type errors of `code` as the next cell: `line N: message (TScode)`. `isGlobal` says whether a
 * name is a global an earlier cell (or the prelude) declared.
 */
export function diagnostics(project: VirtualProject, isGlobal: (name: string) => boolean, code: string): string[] {
  const file = project.setQuery(code);
  const source = project.program().getSourceFile(file)!;
  const all = [...project.service.getSyntacticDiagnostics(file), ...project.service.getSemanticDiagnostics(file)];
  const out: string[] = [];
  for (const d of all) {
    if (REPL_ARTEFACTS.has(d.code) || d.start === undefined || d.start < QUERY_PREFIX.length) continue;
    const start = d.start - QUERY_PREFIX.length;
    if (SELF_REFERENCE.has(d.code) && isGlobal(code.slice(start, start + (d.length ?? 0)))) continue;
    const line = source.getLineAndCharacterOfPosition(d.start).line + 1;
    out.push(`line ${line}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")} (TS${d.code})`);
  }
  return out;
}
