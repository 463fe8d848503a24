// TypeScript language service over a notebook: completions, hover docs and type diagnostics for the
// next cell, given the cells that ran before it. Pure logic with no worker and no sockets: the
// kernel runs it in a worker thread (language-worker.ts); tests call it directly.
//
// The notebook is a virtual project, every file in memory:
//
//   <package>/__stillroom_prelude__.d.ts       display, progress, input, comms (a script: globals)
//   <package>/__stillroom_global_tf__.d.ts     `export * from "@tensorflow/tfjs-core";
//                                               export as namespace tf;` (likewise sr and aq)
//   <cwd>/__stillroom_imports_N__.d.ts         cell N's static imports, as a module (see below)
//   <cwd>/__stillroom_cell_N__.ts              cell N as it ran, as a SCRIPT
//   <cwd>/__stillroom_query__.ts               the cell being edited, as a MODULE
//
// Earlier cells are scripts: a script's top-level declarations are global, so later cells see them
// with their real source (doc comments, inferred types, classes, interfaces), with no declarations
// to generate. Top-level await in a script still types (`await p` has p's awaited type); TS's 1375
// error about it is never read for earlier cells. Static imports would make a script a module, so
// they move to a shim module that imports them under private names and publishes them as a UMD
// namespace: `import * as _0 from "node:fs"; export { _0 }; export as namespace __stillroom_i3;`,
// and the cell reads `import fs = __stillroom_i3._0;`, an import alias, legal in a script, which
// keeps every meaning of the name (fs.readFileSync as a value, fs.Stats as a type).
//
// Redeclaration (REPL semantics): when a cell declares a name an earlier cell declared, the earlier
// binding and every reference to it in earlier cells are renamed (x -> x$1; references found with
// the checker, so shadowing locals stay), and the earlier cells keep their old types. No two cells
// ever declare the same global, so there is no "Cannot redeclare block-scoped variable". Renamed
// bindings are hidden from completions. A cell redeclaring a preloaded global (tf, display) drops it
// from the prelude.
//
// The cell being edited is a module (`export {}; ` is put before its first line, so line numbers do
// not move): top-level await, for await and imports are legal there, and its own declarations
// shadow the globals of earlier cells instead of clashing with them.
//
// Module resolution: from the notebook's folder first, then from the kernel package's own
// node_modules (the executor resolves the same way). The preloaded globals resolve from the package.
//
// Speed: one LanguageService whose host versions each virtual file separately, a DocumentRegistry
// shared by every instance (lib and package .d.ts files are parsed and bound once), and cached
// snapshots and file-system probes for files that cannot change while the kernel runs
// (node_modules, the kernel's own dist, TypeScript's lib).
import { statSync } from "node:fs";
import { createRequire, isBuiltin } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

export interface Completion {
  matches: string[];
  /** UTF-16 offsets of the text the matches replace. */
  start: number;
  end: number;
}

export interface NotebookLanguageOptions {
  /** The notebook's folder: relative imports and node_modules lookups start here. */
  cwd?: string;
  /** Where the compiled kernel (display.js, progress.js, comm.js) lives; defaults to this file's folder. */
  kernelDir?: string;
}

/** Prepended to the cell being edited to make it a module; no newline, so lines keep their numbers. */
const QUERY_PREFIX = "export {}; ";

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

const PRELUDE = "<prelude>";
const IDENTIFIER_CHAR = /[\p{ID_Continue}$\u200c\u200d]/u;

const documentRegistry = ts.createDocumentRegistry(true);

/** Files that cannot change while the kernel runs: read and probed once per process. */
const stableSnapshots = new Map<string, ts.IScriptSnapshot | undefined>();
const stableExists = new Map<string, boolean>();
const stableDirs = new Map<string, boolean>();

interface VirtualFile {
  text: string;
  version: number;
  snapshot: ts.IScriptSnapshot;
}

interface CellRecord {
  path: string;
  shimPath: string | undefined;
  /** Global names it still declares under their own name. */
  live: Set<string>;
  /** The names its renamed bindings have now. */
  renamed: string[];
  /** It imports a module for its effects (`import "m"`), which may declare globals. */
  bareImport: boolean;
}

interface ScriptCell {
  /** The cell rewritten as a script. */
  text: string;
  /** Its imports as a module, when it has any. */
  shim: string | undefined;
  /** Global names it declares. */
  names: string[];
  bareImport: boolean;
}

function posix(path: string): string {
  return path.replace(/\\/g, "/");
}

function memo<K, V>(cache: Map<K, V>, key: K, compute: (key: K) => V): V {
  if (cache.has(key)) return cache.get(key)!;
  const value = compute(key);
  cache.set(key, value);
  return value;
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

/**
 * A cell as a script for the virtual project: static imports become aliases of a shim module's
 * UMD namespace, and `export` goes (the executor ignores it too), so the cell's declarations are
 * global.
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

export class NotebookLanguage {
  readonly cwd: string;
  readonly kernelDir: string;
  readonly packageRoot: string;
  private readonly files = new Map<string, VirtualFile>();
  /** Cells in the project, oldest first. */
  private readonly cells: CellRecord[] = [];
  /** Global name -> the cell that declares it now, or PRELUDE. */
  private readonly owners = new Map<string, CellRecord | typeof PRELUDE>();
  /** Names no cell can see by that name: renamed old bindings and shim namespaces. */
  private readonly hidden = new Set<string>();
  private readonly options: ts.CompilerOptions;
  private readonly service: ts.LanguageService;
  private readonly resolutionCache: ts.ModuleResolutionCache;
  private readonly stablePrefixes: string[];
  private readonly queryPath: string;
  private readonly preludePath: string;
  private readonly fallbackImporter: string;
  private preludeWritten = false;
  /** Notebook files with an import that did not resolve. */
  private readonly failedImports = new Set<string>();
  private cellCount = 0;
  private renameCount = 0;
  private projectVersion = 0;

  constructor(options: NotebookLanguageOptions = {}) {
    this.cwd = posix(resolve(options.cwd ?? process.cwd()));
    this.kernelDir = posix(resolve(options.kernelDir ?? dirname(fileURLToPath(import.meta.url))));
    // dist/kernel/*.js sits beside dist/kernel/*.d.ts; the package root is two levels up.
    this.packageRoot = posix(resolve(this.kernelDir, "../.."));
    this.queryPath = `${this.cwd}/__stillroom_query__.ts`;
    this.preludePath = `${this.packageRoot}/__stillroom_prelude__.d.ts`;
    this.fallbackImporter = `${this.packageRoot}/__stillroom_importer__.ts`;
    this.stablePrefixes = [`${posix(dirname(ts.getDefaultLibFilePath({})))}/`, `${this.packageRoot}/dist/`];
    this.options = {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      // Node has no DOM: the few browser-only tfjs signatures (fromPixels) lose their types.
      lib: ["lib.es2022.d.ts"],
      types: ["node"],
      typeRoots: [this.nodeTypesRoot()],
      strict: true,
      skipLibCheck: true,
      noEmit: true,
      esModuleInterop: true,
      allowUmdGlobalAccess: true,
      resolveJsonModule: true,
    };
    this.resolutionCache = ts.createModuleResolutionCache(this.cwd, (f) => f, this.options);
    this.service = ts.createLanguageService(this.host(), documentRegistry);
    this.writePrelude();
  }

  /** The @types folder that holds the kernel package's @types/node. */
  private nodeTypesRoot(): string {
    try {
      const require = createRequire(join(this.kernelDir, "noop.js"));
      return posix(dirname(dirname(require.resolve("@types/node/package.json"))));
    } catch {
      return `${this.packageRoot}/node_modules/@types`;
    }
  }

  private isStable(path: string): boolean {
    return path.includes("/node_modules/") || this.stablePrefixes.some((p) => path.startsWith(p));
  }

  /** getModuleResolutionCache and hasInvalidatedResolutions are read by the service, though not declared on its host type. */
  private host(): ts.LanguageServiceHost & {
    getModuleResolutionCache(): ts.ModuleResolutionCache;
    hasInvalidatedResolutions(path: ts.Path): boolean;
  } {
    const fileExists = (f: string) =>
      this.files.has(f) || (this.isStable(f) ? memo(stableExists, f, ts.sys.fileExists) : ts.sys.fileExists(f));
    const moduleHost: ts.ModuleResolutionHost = {
      fileExists,
      readFile: (f) => this.files.get(f)?.text ?? ts.sys.readFile(f),
      directoryExists: (d) => (this.isStable(`${d}/`) ? memo(stableDirs, d, ts.sys.directoryExists!) : ts.sys.directoryExists(d)),
      realpath: ts.sys.realpath,
      getCurrentDirectory: () => this.cwd,
      getDirectories: ts.sys.getDirectories,
      useCaseSensitiveFileNames: ts.sys.useCaseSensitiveFileNames,
    };
    return {
      ...moduleHost,
      getCurrentDirectory: () => this.cwd,
      getCompilationSettings: () => this.options,
      getProjectVersion: () => String(this.projectVersion),
      getScriptFileNames: () => [...this.files.keys()],
      getScriptVersion: (f) => String(this.files.get(f)?.version ?? this.diskVersion(f)),
      getScriptSnapshot: (f) => this.files.get(f)?.snapshot ?? this.diskSnapshot(f),
      getDefaultLibFileName: (o) => ts.getDefaultLibFilePath(o),
      useCaseSensitiveFileNames: () => ts.sys.useCaseSensitiveFileNames,
      getModuleResolutionCache: () => this.resolutionCache,
      resolveModuleNameLiterals: (literals, containingFile, redirected, options, containingSourceFile) => {
        this.failedImports.delete(containingFile);
        return literals.map((literal) =>
          this.resolveModule(literal, containingFile, redirected, options, containingSourceFile, moduleHost),
        );
      },
      // A notebook file whose import failed resolves again next time: the module may exist by then.
      hasInvalidatedResolutions: (path) => this.failedImports.has(path),
    };
  }

  /**
   * Package files resolve as usual (cached). A notebook's import resolves from the notebook's folder
   * without the cache (the user may create the file any time), then from the kernel package.
   */
  private resolveModule(
    literal: ts.StringLiteralLike,
    containingFile: string,
    redirected: ts.ResolvedProjectReference | undefined,
    options: ts.CompilerOptions,
    containingSourceFile: ts.SourceFile,
    host: ts.ModuleResolutionHost,
  ): ts.ResolvedModuleWithFailedLookupLocations {
    const mode = ts.getModeForUsageLocation(containingSourceFile, literal, options);
    if (!this.files.has(containingFile))
      return ts.resolveModuleName(literal.text, containingFile, options, host, this.resolutionCache, redirected, mode);
    const own = ts.resolveModuleName(literal.text, containingFile, options, host, undefined, redirected, mode);
    if (own.resolvedModule) return own;
    const fallback = ts.resolveModuleName(literal.text, this.fallbackImporter, options, host, this.resolutionCache, redirected, mode);
    if (fallback.resolvedModule) return fallback;
    // Node's built-ins have no file: @types/node declares them as ambient modules.
    if (!isBuiltin(literal.text)) this.failedImports.add(containingFile);
    return own;
  }

  private diskVersion(path: string): string {
    if (this.isStable(path)) return "0";
    try {
      return String(statSync(path).mtimeMs);
    } catch {
      return "missing";
    }
  }

  private diskSnapshot(path: string): ts.IScriptSnapshot | undefined {
    const read = (f: string) => {
      const text = ts.sys.readFile(f);
      return text === undefined ? undefined : ts.ScriptSnapshot.fromString(text);
    };
    return this.isStable(path) ? memo(stableSnapshots, path, read) : read(path);
  }

  private setFile(path: string, text: string): void {
    const old = this.files.get(path);
    if (old?.text === text) return;
    this.files.set(path, { text, version: (old?.version ?? 0) + 1, snapshot: ts.ScriptSnapshot.fromString(text) });
    this.projectVersion++;
  }

  private deleteFile(path: string): void {
    if (this.files.delete(path)) this.projectVersion++;
  }

  /** The preloaded globals, less any a cell has declared for itself. */
  private writePrelude(): void {
    const k = this.kernelDir;
    const declarations: Record<string, string> = {
      display: `/** Shows a value as rich output; display.html, .markdown, .svg, .png, .json, .vegaLite, .table and .clear show or clear a given kind. */\ndeclare const display: import("${k}/display.js").Display;`,
      progress: `/** A live progress bar: \`for (const x of progress(items))\`, or \`progress(total)\` for a bar to tick by hand. */\ndeclare const progress: typeof import("${k}/progress.js").progress;`,
      input: `/** Asks the person at the notebook for a line of text (over Jupyter's stdin channel). */\ndeclare function input(prompt?: string, options?: { password?: boolean }): Promise<string>;`,
      comms: `/** Jupyter comms: register targets, open channels to frontend widgets. */\ndeclare const comms: import("${k}/comm.js").CommRegistry;`,
    };
    const modules: Record<string, string> = {
      sr: `${posix(resolve(k, "../sdk/index.js"))}`,
      tf: "@tensorflow/tfjs-core",
      aq: "arquero",
    };
    if (!this.preludeWritten) {
      for (const name of [...Object.keys(declarations), ...Object.keys(modules)]) this.owners.set(name, PRELUDE);
      this.preludeWritten = true;
    }
    const live = (name: string) => this.owners.get(name) === PRELUDE;
    this.setFile(
      this.preludePath,
      `${Object.entries(declarations)
        .filter(([n]) => live(n))
        .map(([, d]) => d)
        .join("\n")}\n`,
    );
    for (const [name, specifier] of Object.entries(modules)) {
      const path = `${this.packageRoot}/__stillroom_global_${name}__.d.ts`;
      if (live(name)) this.setFile(path, `export * from ${JSON.stringify(specifier)};\nexport as namespace ${name};\n`);
      else this.deleteFile(path);
    }
  }

  private program(): ts.Program {
    return this.service.getProgram()!;
  }

  /** Releases this notebook's files (lib files stay in the shared registry for other instances). */
  dispose(): void {
    this.service.dispose();
  }

  /** Loads TypeScript's lib and the preloaded packages' types, so the first request is quick. */
  warmUp(): void {
    this.service.getCompletionsAtPosition(this.setQuery("tf."), QUERY_PREFIX.length + 3, {});
    this.service.getSemanticDiagnostics(this.setQuery("display.html('');"));
  }

  /** A cell that ran: later completions and diagnostics see its declarations. */
  addCell(code: string): void {
    // A package installed since (npm install in a cell) must be found.
    for (const cache of [stableExists, stableDirs]) for (const [path, exists] of cache) if (!exists) cache.delete(path);
    const n = ++this.cellCount;
    const namespace = `__stillroom_i${n}`;
    const cell = toScript(code, namespace);
    const redeclared = cell.names.filter((name) => this.owners.has(name) && this.owners.get(name) !== PRELUDE);
    const fromPrelude = cell.names.filter((name) => this.owners.get(name) === PRELUDE);
    let renameError: unknown;
    try {
      if (redeclared.length) this.renameEarlier(redeclared);
    } catch (e) {
      // Still add the cell: its names then clash with the old ones (reported as 2451, filtered).
      renameError = e;
      for (const name of redeclared) this.owners.delete(name);
    }
    if (fromPrelude.length) {
      for (const name of fromPrelude) this.owners.delete(name);
      this.writePrelude();
    }
    // A cell that declares nothing (an expression, a display call) cannot change what later cells see.
    if (!cell.names.length && !cell.shim) return;
    const record: CellRecord = {
      path: `${this.cwd}/__stillroom_cell_${n}__.ts`,
      shimPath: cell.shim ? `${this.cwd}/__stillroom_imports_${n}__.d.ts` : undefined,
      live: new Set(cell.names),
      renamed: [],
      bareImport: cell.bareImport,
    };
    if (record.shimPath) {
      this.setFile(record.shimPath, cell.shim!);
      this.hidden.add(namespace);
    }
    this.setFile(record.path, cell.text);
    this.cells.push(record);
    for (const name of cell.names) this.owners.set(name, record);
    if (renameError) throw renameError;
  }

  /**
   * Renames the current bindings of `names` (each declared by an earlier cell) and every reference
   * to them in earlier cells, so a new cell can declare the names again.
   */
  private renameEarlier(names: string[]): void {
    // The query file of the last request may name these too; it plays no part here.
    this.setQuery("");
    const program = this.program();
    const checker = program.getTypeChecker();
    const targets = new Map<ts.Symbol, string>();
    for (const name of new Set(names)) {
      const owner = this.owners.get(name) as CellRecord;
      const source = program.getSourceFile(owner.path);
      if (!source) continue;
      let fresh: string;
      do fresh = `${name}$${++this.renameCount}`;
      while (this.owners.has(fresh) || this.hidden.has(fresh));
      for (const statement of source.statements) {
        for (const id of declaredIdentifiers(statement)) {
          const symbol = id.text === name ? checker.getSymbolAtLocation(id) : undefined;
          if (symbol) targets.set(symbol, fresh);
        }
      }
      this.hidden.add(fresh);
      this.owners.delete(name);
      owner.live.delete(name);
      owner.renamed.push(fresh);
    }
    const wanted = new Set(names);
    for (const { path } of this.cells) {
      const source = program.getSourceFile(path);
      if (!source) continue;
      const edits: { start: number; end: number; text: string }[] = [];
      const visit = (node: ts.Node): void => {
        if (ts.isIdentifier(node) && wanted.has(node.text)) {
          const edit = renameEdit(node, checker, targets);
          if (edit) edits.push({ start: node.getStart(source), end: node.end, text: edit });
          return;
        }
        ts.forEachChild(node, visit);
      };
      visit(source);
      if (!edits.length) continue;
      let text = source.text;
      for (const e of edits.sort((a, b) => b.start - a.start)) text = text.slice(0, e.start) + e.text + text.slice(e.end);
      this.setFile(path, text);
    }
    this.dropDeadCells();
  }

  /**
   * Drops the cells whose every binding was renamed and that no other cell names any more (a cell
   * run again and again), so the project does not grow with each run.
   */
  private dropDeadCells(): void {
    for (const cell of [...this.cells]) {
      if (cell.live.size || cell.bareImport) continue;
      const others = this.cells.filter((c) => c !== cell).map((c) => this.files.get(c.path)!.text);
      if (cell.renamed.some((name) => others.some((text) => text.includes(name)))) continue;
      this.cells.splice(this.cells.indexOf(cell), 1);
      this.deleteFile(cell.path);
      if (cell.shimPath) this.deleteFile(cell.shimPath);
    }
  }

  private setQuery(code: string): string {
    if (this.failedImports.size) this.projectVersion++;
    this.setFile(this.queryPath, QUERY_PREFIX + code);
    return this.queryPath;
  }

  complete(code: string, cursor: number): Completion {
    cursor = clamp(cursor, code.length);
    const file = this.setQuery(code);
    const info = this.service.getCompletionsAtPosition(file, cursor + QUERY_PREFIX.length, {
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
        !this.hidden.has(e.name) &&
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

  /** Quick info at the cursor, at the identifier before it, or at the function of the call it is in. */
  inspect(code: string, cursor: number, detailLevel = 0): Record<string, string> | null {
    cursor = clamp(cursor, code.length);
    const file = this.setQuery(code);
    const at = (pos: number) => (pos >= 0 ? this.service.getQuickInfoAtPosition(file, pos + QUERY_PREFIX.length) : undefined);
    let info = at(cursor) ?? (cursor > 0 && IDENTIFIER_CHAR.test(code[cursor - 1]!) ? at(cursor - 1) : undefined);
    let position = cursor;
    if (!info) {
      const help = this.service.getSignatureHelpItems(file, cursor + QUERY_PREFIX.length, undefined);
      if (help) {
        let callee = help.applicableSpan.start - QUERY_PREFIX.length - 1; // the "(" (or "<", or "`")
        while (callee > 0 && /\s/.test(code[callee - 1]!)) callee--;
        position = callee - 1;
        info = at(position);
      }
    }
    if (!info?.displayParts?.length) return null;
    const signature = ts.displayPartsToString(info.displayParts);
    const doc = ts.displayPartsToString(info.documentation ?? []).trim();
    const tags = info.tags ?? [];
    const tagText = (tag: ts.JSDocTagInfo) => ts.displayPartsToString(tag.text ?? []).trim();
    const plain = [signature];
    const markdown = ["```typescript", signature, "```"];
    if (doc) {
      plain.push("", doc);
      markdown.push("", doc);
    }
    if (tags.length) {
      plain.push("");
      markdown.push("");
      for (const tag of tags) {
        const text = tagText(tag);
        plain.push(`@${tag.name}${text ? ` ${text}` : ""}`);
        if (tag.name === "param" || tag.name === "typeParam") {
          const [name, ...rest] = text.split(/\s+/);
          markdown.push(`*@${tag.name}* \`${name ?? ""}\`${rest.length ? ` — ${rest.join(" ")}` : ""}  `);
        } else {
          markdown.push(`*@${tag.name}*${text ? (text.includes("\n") ? `\n${text}` : ` — ${text}`) : ""}  `);
        }
      }
    }
    if (detailLevel > 0) {
      const source = this.definitionSource(file, position + QUERY_PREFIX.length);
      if (source) {
        plain.push("", source);
        markdown.push("", "```typescript", source, "```");
      }
    }
    return { "text/plain": plain.join("\n"), "text/markdown": markdown.join("\n") };
  }

  /** The source of a definition that a notebook cell wrote (detail level 1, like IPython's `??`). */
  private definitionSource(file: string, position: number): string | undefined {
    const definition = this.service.getDefinitionAtPosition(file, position)?.[0];
    if (!definition || !(this.cells.some((c) => c.path === definition.fileName) || definition.fileName === this.queryPath))
      return undefined;
    const text = this.files.get(definition.fileName)!.text;
    const span = definition.contextSpan ?? definition.textSpan;
    return text.slice(span.start, span.start + span.length);
  }

  /** Type errors of `code` as the next cell: `line N: message (TScode)`, with cell line numbers. */
  diagnostics(code: string): string[] {
    const file = this.setQuery(code);
    const source = this.program().getSourceFile(file)!;
    const all = [...this.service.getSyntacticDiagnostics(file), ...this.service.getSemanticDiagnostics(file)];
    const out: string[] = [];
    for (const d of all) {
      if (REPL_ARTEFACTS.has(d.code) || d.start === undefined || d.start < QUERY_PREFIX.length) continue;
      const start = d.start - QUERY_PREFIX.length;
      if (SELF_REFERENCE.has(d.code)) {
        const name = code.slice(start, start + (d.length ?? 0));
        if (this.owners.has(name)) continue;
      }
      const line = source.getLineAndCharacterOfPosition(d.start).line + 1;
      out.push(`line ${line}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")} (TS${d.code})`);
    }
    return out;
  }
}

function clamp(cursor: number, length: number): number {
  return Number.isFinite(cursor) ? Math.max(0, Math.min(length, Math.trunc(cursor))) : length;
}

/** The replacement text for one identifier that names a renamed binding, or undefined. */
function renameEdit(id: ts.Identifier, checker: ts.TypeChecker, targets: Map<ts.Symbol, string>): string | undefined {
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
