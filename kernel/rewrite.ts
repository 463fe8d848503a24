// Turns one TypeScript cell into a script that keeps REPL state in globals.
//
// - Types go (sucrase keeps line numbers, so stack traces point at cell lines).
// - Top-level let/const/class/import bindings become globals, so a later cell sees them and may
//   declare them again, as in a REPL.
// - A cell with top-level await (or a static import) runs inside an async arrow; its last
//   expression becomes the arrow's return value. Other cells run as plain scripts, which lets
//   vm's breakOnSigint stop a busy loop anywhere in them.
// - import(...) and static imports go through __stillroom.import, which resolves from the
//   notebook's folder first, then from the kernel's own dependencies.
// Every edit keeps the count of newlines, so line N of the script is line N of the cell; columns
// move, and positions.ts maps them back (only when a stack trace needs it).
import * as acorn from "acorn";
import * as walk from "acorn-walk";
import { transform } from "sucrase";
import { CellPositions, type Span } from "./positions.js";

export interface CompiledCell {
  /** JavaScript for vm.Script. */
  js: string;
  /** Runs inside an async arrow (and returns a Promise). */
  isAsync: boolean;
  /** The last statement is an expression whose value is the cell's result. */
  hasResult: boolean;
  /** Where each position of `js` was typed: only when compileCell was asked for positions. */
  positions?: CellPositions;
}

export class CellSyntaxError extends SyntaxError {
  /** The parser's message without its own "(line:column)", which may count in the stripped code. */
  readonly reason: string;

  constructor(
    message: string,
    /** From 1. */
    readonly line: number,
    /** From 0. */
    readonly column: number,
  ) {
    const reason = message.replace(/\s*\(\d+:\d+\)\s*$/, "");
    super(`${reason} (line ${line}, column ${column + 1})`);
    this.name = "SyntaxError";
    this.reason = reason;
  }
}

// biome-ignore lint/suspicious/noExplicitAny: acorn's ESTree nodes are walked generically, by key
type Node = acorn.Node & Record<string, any>;
interface Edit {
  start: number;
  end: number;
  text: string;
}

const HELPER = "__stillroom";

const SUCRASE_OPTIONS = { transforms: ["typescript" as const], keepUnusedImports: true, disableESTransforms: true };

export function stripTypes(code: string): string {
  return sucrase(code).code;
}

/** sucrase's output, with its source map when asked (its errors name the cell's own positions). */
function sucrase(code: string, withMap = false): { code: string; sourceMap?: object } {
  try {
    const options = withMap
      ? { ...SUCRASE_OPTIONS, filePath: "cell.ts", sourceMapOptions: { compiledFilename: "cell.js" } }
      : SUCRASE_OPTIONS;
    return transform(code, options);
  } catch (e) {
    const err = e as Error & { loc?: { line: number; column: number } };
    const m = /\((\d+):(\d+)\)\s*$/.exec(err.message);
    const line = err.loc?.line ?? (m ? Number(m[1]) : 1);
    // sucrase counts columns from 1.
    const column = (err.loc?.column ?? (m ? Number(m[2]) : 1)) - 1;
    throw new CellSyntaxError(err.message.replace(/^Error transforming .*?:\s*/, ""), line, column);
  }
}

/**
 * The cell without types, parsed; a syntax error names its position in the cell as typed (acorn
 * sees the stripped JavaScript, whose columns differ wherever a type was removed).
 */
export function parseCell(code: string): { js: string; program: Node } {
  const js = stripTypes(code);
  try {
    return { js, program: parse(js) };
  } catch (e) {
    if (!(e instanceof CellSyntaxError)) throw e;
    const stripped = sucrase(code, true);
    const at = new CellPositions(code, stripped.code, stripped.sourceMap!, stripped.code, [{ at: 0, from: 0, copied: true }]).fromStripped(
      e.line,
      e.column + 1,
    );
    throw new CellSyntaxError(e.reason, at.line, at.column - 1);
  }
}

export function parse(js: string): Node {
  try {
    return acorn.parse(js, {
      ecmaVersion: "latest",
      sourceType: "script",
      allowAwaitOutsideFunction: true,
      allowImportExportEverywhere: true,
      allowHashBang: true,
      locations: true,
    }) as Node;
  } catch (e) {
    const err = e as SyntaxError & { loc?: { line: number; column: number } };
    throw new CellSyntaxError(err.message, err.loc?.line ?? 1, err.loc?.column ?? 0);
  }
}

/** Names bound by a declaration pattern: `{a, b: [c, ...d] = x}` binds a, c, d. */
export function patternNames(node: Node, out: string[] = []): string[] {
  switch (node.type) {
    case "Identifier":
      out.push(node.name);
      break;
    case "ObjectPattern":
      for (const p of node.properties) patternNames(p.type === "RestElement" ? p : p.value, out);
      break;
    case "ArrayPattern":
      for (const e of node.elements) if (e) patternNames(e, out);
      break;
    case "RestElement":
      patternNames(node.argument, out);
      break;
    case "AssignmentPattern":
      patternNames(node.left, out);
      break;
  }
  return out;
}

const FUNCTION_TYPES = new Set(["FunctionDeclaration", "FunctionExpression", "ArrowFunctionExpression"]);

/** Whether `await` (or for-await) appears outside any function. */
function hasTopLevelAwait(program: Node): boolean {
  let found = false;
  const visit = (node: Node): void => {
    if (found || !node || typeof node.type !== "string") return;
    if (node.type === "AwaitExpression" || (node.type === "ForOfStatement" && node.await)) {
      found = true;
      return;
    }
    if (FUNCTION_TYPES.has(node.type)) return;
    for (const key of Object.keys(node)) {
      const child = node[key];
      if (Array.isArray(child)) {
        for (const c of child) if (c && typeof c === "object") visit(c);
      } else if (child && typeof child === "object" && typeof child.type === "string") visit(child);
    }
  };
  visit(program);
  return found;
}

function newlines(text: string): string {
  return "\n".repeat((text.match(/\n/g) ?? []).length);
}

/** Replaces a range, padding with its newlines so later lines keep their numbers. */
function replaceKeepingLines(js: string, start: number, end: number, text: string): Edit {
  return { start, end, text: text + newlines(js.slice(start, end)) };
}

function importEdits(js: string, node: Node, hoisted: string[]): Edit {
  const source = JSON.stringify(node.source.value);
  const load = `await ${HELPER}.import(${source})`;
  const specifiers = node.specifiers as Node[];
  if (specifiers.length === 0) return replaceKeepingLines(js, node.start, node.end, `${load};`);
  const namespace = specifiers.find((s) => s.type === "ImportNamespaceSpecifier");
  const parts: string[] = [];
  for (const s of specifiers) hoisted.push(s.local.name);
  if (namespace) {
    parts.push(`${namespace.local.name} = ${load};`);
    for (const s of specifiers) if (s.type === "ImportDefaultSpecifier") parts.push(`${s.local.name} = ${namespace.local.name}.default;`);
  } else {
    const fields = specifiers.map((s) => {
      if (s.type === "ImportDefaultSpecifier") return `default: ${s.local.name}`;
      const imported = s.imported.type === "Literal" ? JSON.stringify(s.imported.value) : s.imported.name;
      return `${imported}: ${s.local.name}`;
    });
    parts.push(`;({ ${fields.join(", ")} } = ${HELPER}.interop(${load}));`);
  }
  return replaceKeepingLines(js, node.start, node.end, parts.join(" "));
}

/** let/const/var at top level: `var` in a plain script; an assignment inside the async arrow. */
function declarationEdits(node: Node, isAsync: boolean, hoisted: string[]): Edit[] {
  if (!isAsync) return [{ start: node.start, end: node.start + node.kind.length, text: "var" }];
  // The leading ";" stops a previous line without a semicolon from calling the "(".
  const edits: Edit[] = [{ start: node.start, end: node.start + node.kind.length, text: ";(" }];
  for (const d of node.declarations as Node[]) {
    hoisted.push(...patternNames(d.id));
    if (!d.init) edits.push({ start: d.id.end, end: d.id.end, text: " = undefined" });
  }
  const last = node.declarations[node.declarations.length - 1] as Node;
  edits.push({ start: last.end, end: last.end, text: ")" });
  return edits;
}

function statementEdits(js: string, node: Node, isAsync: boolean, hoisted: string[], functions: string[]): Edit[] {
  switch (node.type) {
    case "ImportDeclaration":
      return [importEdits(js, node, hoisted)];
    case "VariableDeclaration":
      return declarationEdits(node, isAsync, hoisted);
    case "ClassDeclaration": {
      const name = node.id.name as string;
      if (isAsync) hoisted.push(name);
      return [
        { start: node.start, end: node.start, text: isAsync ? `${name} = ` : `var ${name} = ` },
        { start: node.end, end: node.end, text: ";" },
      ];
    }
    case "FunctionDeclaration":
      // A plain script declares it globally already; inside the arrow it is hoisted locally,
      // and the arrow's first line publishes it.
      if (isAsync) functions.push(node.id.name);
      return [];
    case "ExportNamedDeclaration": {
      if (!node.declaration) return [replaceKeepingLines(js, node.start, node.end, "")];
      const strip = { start: node.start, end: node.declaration.start, text: newlines(js.slice(node.start, node.declaration.start)) };
      return [strip, ...statementEdits(js, node.declaration, isAsync, hoisted, functions)];
    }
    case "ExportAllDeclaration":
      return [replaceKeepingLines(js, node.start, node.end, "")];
    case "ExportDefaultDeclaration": {
      const decl = node.declaration as Node;
      const strip = { start: node.start, end: decl.start, text: newlines(js.slice(node.start, decl.start)) };
      if ((decl.type === "FunctionDeclaration" || decl.type === "ClassDeclaration") && decl.id) {
        return [strip, ...statementEdits(js, decl, isAsync, hoisted, functions)];
      }
      return [
        { ...strip, text: `${strip.text};(` },
        { start: decl.end, end: decl.end, text: ");" },
      ];
    }
    default:
      return [];
  }
}

/** Dynamic import() and import.meta anywhere in the cell. */
function importExpressionEdits(program: Node): Edit[] {
  const edits: Edit[] = [];
  walk.full(program, (n: Node) => {
    if (n.type === "ImportExpression") edits.push({ start: n.start, end: n.start + "import".length, text: `${HELPER}.import` });
    else if (n.type === "MetaProperty" && n.meta.name === "import")
      edits.push({ start: n.start, end: n.end, text: `${HELPER}.importMeta` });
  });
  return edits;
}

/**
 * Applies the edits (stable for edits at one position: insertion order is kept) between the
 * wrapper's prefix and suffix, saying where each stretch of the result came from.
 */
function applyEdits(js: string, edits: Edit[], prefix = "", suffix = ""): { text: string; spans: Span[] } {
  const sorted = edits.map((e, i) => ({ ...e, i })).sort((a, b) => a.start - b.start || a.i - b.i);
  const spans: Span[] = [];
  let out = "";
  const add = (text: string, span: Omit<Span, "at">) => {
    if (!text) return;
    spans.push({ at: out.length, ...span });
    out += text;
  };
  add(prefix, { from: 0, copied: false, wrapper: true });
  let at = 0;
  for (const e of sorted) {
    add(js.slice(at, e.start), { from: at, copied: true });
    add(e.text, { from: e.start, copied: false });
    at = Math.max(at, e.end);
  }
  add(js.slice(at), { from: at, copied: true });
  add(suffix, { from: js.length, copied: false, wrapper: true });
  return { text: out, spans };
}

/**
 * Compiles a cell. With `positions`, the result also maps the script's positions back to the
 * cell's (sucrase then builds its source map: only stack traces need this, and they ask again).
 */
export function compileCell(code: string, options: { positions?: boolean } = {}): CompiledCell {
  const { js, program } = parseCell(code);
  const body = program.body as Node[];
  const isAsync = hasTopLevelAwait(program) || body.some((s) => s.type === "ImportDeclaration");
  const hoisted: string[] = [];
  const functions: string[] = [];
  const edits: Edit[] = importExpressionEdits(program);
  for (const statement of body) edits.push(...statementEdits(js, statement, isAsync, hoisted, functions));

  const last = body[body.length - 1];
  // A lone string literal parses as a directive; it is still the cell's value.
  const hasResult = last?.type === "ExpressionStatement";
  let prefix = "";
  let suffix = "";
  if (isAsync) {
    if (hasResult) {
      // Around the whole statement: a parenthesised expression starts inside its own parens.
      const end = js.slice(last.start, last.end).trimEnd().endsWith(";") ? js.lastIndexOf(";", last.end) : last.end;
      edits.push({ start: last.start, end: last.start, text: "return (" });
      edits.push({ start: end, end, text: ")" });
    }
    const declare = hoisted.length ? `var ${[...new Set(hoisted)].join(", ")}; ` : "";
    const publish = functions.map((f) => `globalThis[${JSON.stringify(f)}] = ${f}; `).join("");
    prefix = `${declare}(async () => { ${publish}`;
    suffix = "\n})()";
  }
  const { text, spans } = applyEdits(js, edits, prefix, suffix);
  const compiled: CompiledCell = { js: text, isAsync, hasResult };
  if (options.positions) {
    const stripped = sucrase(code, true);
    compiled.positions = new CellPositions(code, stripped.code, stripped.sourceMap!, text, spans);
  }
  return compiled;
}
