// A notebook cell as a script for the virtual project. Earlier cells are scripts so that their
// top-level declarations are global and later cells see them with their real source (doc comments,
// inferred types, classes, interfaces), with no declarations to generate.
//
// Static imports would make a script a module, so they move to a shim module that imports them
// under private names and publishes them as a UMD namespace:
// `import * as _0 from "node:fs"; export { _0 }; export as namespace __stillroom_i3;`, and the cell
// reads `import fs = __stillroom_i3._0;`, an import alias, legal in a script, which keeps every
// meaning of the name (fs.readFileSync as a value, fs.Stats as a type).
import ts from "typescript";

export interface ScriptCell {
  /** The cell rewritten as a script. */
  text: string;
  /** Its imports as a module, when it has any. */
  shim: string | undefined;
  /** Global names it declares. */
  names: string[];
  /** It imports a module for its effects (`import "m"`), which may declare globals. */
  bareImport: boolean;
}

/** Names bound by a declaration's name or binding pattern. */
function bindingIdentifiers(name: ts.BindingName, out: ts.Identifier[] = []): ts.Identifier[] {
  if (ts.isIdentifier(name)) out.push(name);
  else for (const element of name.elements) if (ts.isBindingElement(element)) bindingIdentifiers(element.name, out);
  return out;
}

/** The global names a top-level statement of a script declares. */
export function declaredIdentifiers(statement: ts.Statement): ts.Identifier[] {
  if (ts.isVariableStatement(statement)) return statement.declarationList.declarations.flatMap((d) => bindingIdentifiers(d.name));
  if (
    ts.isFunctionDeclaration(statement) ||
    ts.isClassDeclaration(statement) ||
    ts.isInterfaceDeclaration(statement) ||
    ts.isTypeAliasDeclaration(statement) ||
    ts.isEnumDeclaration(statement) ||
    ts.isImportEqualsDeclaration(statement)
  ) {
    return statement.name ? [statement.name] : [];
  }
  // `namespace N {}`, not `declare module "m" {}` nor `declare global {}`.
  if (ts.isModuleDeclaration(statement) && ts.isIdentifier(statement.name) && !(statement.flags & ts.NodeFlags.GlobalAugmentation))
    return [statement.name];
  return [];
}

const K = ts.SyntaxKind;
/** Words that every top-level declaration, import and export starts with or carries. */
const DECLARING = new Set<ts.SyntaxKind>([
  K.VarKeyword,
  K.LetKeyword,
  K.ConstKeyword,
  K.UsingKeyword,
  K.FunctionKeyword,
  K.ClassKeyword,
  K.InterfaceKeyword,
  K.TypeKeyword,
  K.EnumKeyword,
  K.NamespaceKeyword,
  K.ModuleKeyword,
  K.DeclareKeyword,
  K.ImportKeyword,
  K.ExportKeyword,
]);
/** Tokens after which the scanner alone may misread what follows (template parts, a regular expression). */
const AMBIGUOUS = new Set<ts.SyntaxKind>([K.NoSubstitutionTemplateLiteral, K.TemplateHead, K.SlashToken, K.SlashEqualsToken, K.Unknown]);

/**
 * False when the cell declares nothing at its top level for certain: none of the words a
 * declaration needs appears in it. TypeScript's scanner alone reads it, a small part of what a
 * parse costs; a cell the scanner could misread (a template literal, a `/`) may declare.
 */
export function mayDeclare(code: string): boolean {
  const scanner = ts.createScanner(ts.ScriptTarget.Latest, true, ts.LanguageVariant.Standard, code);
  for (let token = scanner.scan(); token !== K.EndOfFileToken; token = scanner.scan()) {
    if (DECLARING.has(token) || AMBIGUOUS.has(token)) return true;
  }
  return false;
}

/**
 * A cell as a script: static imports become aliases of a shim module's UMD namespace, and
 * `export` goes (the executor ignores it too), so the cell's declarations are global.
 */
export function toScript(code: string, namespace: string): ScriptCell {
  const source = ts.createSourceFile("cell.ts", code, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const edits: { start: number; end: number; text: string }[] = [];
  const shimImports: string[] = [];
  const shimLocals: string[] = [];
  const names: string[] = [];
  const local = () => {
    const name = `_${shimLocals.length}`;
    shimLocals.push(name);
    return name;
  };
  for (const statement of source.statements) {
    const start = statement.getStart(source);
    if (ts.isImportDeclaration(statement)) {
      const from = statement.moduleSpecifier.getText(source);
      const clause = statement.importClause;
      const aliases: string[] = [];
      if (!clause) shimImports.push(`import ${from};`);
      if (clause?.name) {
        const l = local();
        shimImports.push(`import ${l} from ${from};`);
        aliases.push(`import ${clause.name.text} = ${namespace}.${l};`);
        names.push(clause.name.text);
      }
      const bindings = clause?.namedBindings;
      if (bindings && ts.isNamespaceImport(bindings)) {
        const l = local();
        shimImports.push(`import * as ${l} from ${from};`);
        aliases.push(`import ${bindings.name.text} = ${namespace}.${l};`);
        names.push(bindings.name.text);
      } else if (bindings) {
        for (const element of bindings.elements) {
          const l = local();
          shimImports.push(`import { ${(element.propertyName ?? element.name).getText(source)} as ${l} } from ${from};`);
          aliases.push(`import ${element.name.text} = ${namespace}.${l};`);
          names.push(element.name.text);
        }
      }
      edits.push({ start, end: statement.end, text: aliases.join(" ") });
      continue;
    }
    if (ts.isImportEqualsDeclaration(statement) && ts.isExternalModuleReference(statement.moduleReference)) {
      const l = local();
      shimImports.push(`import ${l} = require(${statement.moduleReference.expression.getText(source)});`);
      edits.push({ start, end: statement.end, text: `import ${statement.name.text} = ${namespace}.${l};` });
      names.push(statement.name.text);
      continue;
    }
    if (ts.isModuleDeclaration(statement) && statement.flags & ts.NodeFlags.GlobalAugmentation) {
      // `declare global { var v: T }` (legal in a module only): its contents, declared in the script.
      const inner = statement.body && ts.isModuleBlock(statement.body) ? statement.body.statements : [];
      const declare = (s: ts.Statement) => (ts.isInterfaceDeclaration(s) || ts.isTypeAliasDeclaration(s) ? "" : "declare ");
      edits.push({ start, end: statement.end, text: inner.map((s) => declare(s) + s.getText(source)).join("\n") });
      names.push(...inner.flatMap((s) => declaredIdentifiers(s).map((id) => id.text)));
      continue;
    }
    if (ts.isExportDeclaration(statement) || (ts.isExportAssignment(statement) && statement.isExportEquals)) {
      edits.push({ start, end: statement.end, text: "" });
      continue;
    }
    if (ts.isExportAssignment(statement)) {
      // `export default expr` runs as `expr`.
      edits.push({ start, end: statement.expression.getStart(source), text: ";" });
      continue;
    }
    for (const modifier of ts.canHaveModifiers(statement) ? (ts.getModifiers(statement) ?? []) : []) {
      if (modifier.kind === ts.SyntaxKind.ExportKeyword || modifier.kind === ts.SyntaxKind.DefaultKeyword) {
        edits.push({ start: modifier.getStart(source), end: modifier.end, text: "" });
      }
    }
    names.push(...declaredIdentifiers(statement).map((id) => id.text));
  }
  let text = code;
  for (const e of edits.sort((a, b) => b.start - a.start)) text = text.slice(0, e.start) + e.text + text.slice(e.end);
  const shim = shimImports.length
    ? [...shimImports, `export { ${shimLocals.join(", ")} };`, ...(shimLocals.length ? [`export as namespace ${namespace};`] : [])].join(
        "\n",
      )
    : undefined;
  return { text, shim, names, bareImport: shimImports.some((line) => /^import ["']/.test(line)) };
}
