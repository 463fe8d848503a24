// Renaming an earlier cell's binding when a later cell declares the name again (REPL semantics).
import ts from "typescript";

/** The replacement text for one identifier that names a renamed binding, or undefined. */
export function renameEdit(id: ts.Identifier, checker: ts.TypeChecker, targets: Map<ts.Symbol, string>): string | undefined {
  const parent = id.parent;
  // `{ x }` as an object literal: keep the property name.
  if (ts.isShorthandPropertyAssignment(parent) && parent.name === id) {
    const value = checker.getShorthandAssignmentValueSymbol(parent);
    const fresh = value && targets.get(value);
    return fresh && `${id.text}: ${fresh}`;
  }
  const symbol = checker.getSymbolAtLocation(id);
  const fresh = symbol && targets.get(symbol);
  if (!fresh) return undefined;
  // `const { x } = obj` binds x from property x.
  if (ts.isBindingElement(parent) && parent.name === id && !parent.propertyName && ts.isObjectBindingPattern(parent.parent))
    return `${id.text}: ${fresh}`;
  return fresh;
}

/** Edits applied back to front, so earlier offsets stay valid. */
export function applyEdits(text: string, edits: { start: number; end: number; text: string }[]): string {
  for (const e of [...edits].sort((a, b) => b.start - a.start)) text = text.slice(0, e.start) + e.text + text.slice(e.end);
  return text;
}
