// TypeScript language service over a notebook: completions, hover docs and type diagnostics for the
// next cell, given the cells that ran before it. Pure logic with no worker and no sockets: the
// kernel runs it in a worker thread (worker.ts); tests call it directly.
//
// Earlier cells are scripts (script.ts) in a virtual project (project.ts). Top-level await in a
// script still types (`await p` has p's awaited type); TS's 1375 error about it is never read for
// earlier cells.
//
// Redeclaration (REPL semantics): when a cell declares a name an earlier cell declared, the earlier
// binding and every reference to it in earlier cells are renamed (x -> x$1; references found with
// the checker, so shadowing locals stay), and the earlier cells keep their old types. No two cells
// ever declare the same global, so there is no "Cannot redeclare block-scoped variable". Renamed
// bindings are hidden from completions. A cell redeclaring a preloaded global (tf, display) drops it
// from the prelude. Cells whose every binding was renamed away, and that no cell names any more,
// leave the project, so a notebook run again and again does not grow it.
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { type Completion, complete } from "./completion.js";
import { diagnostics } from "./diagnostics.js";
import { inspect } from "./hover.js";
import { preludeNames, writePrelude } from "./prelude.js";
import { VirtualProject, forgetMissingFiles, posix } from "./project.js";
import { applyEdits, renameEdit } from "./rename.js";
import { declaredIdentifiers, mayDeclare, toScript } from "./script.js";

export type { Completion };

export interface NotebookLanguageOptions {
  /** The notebook's folder: relative imports and node_modules lookups start here. */
  cwd?: string;
  /** Where the compiled kernel (display.js, progress.js, comm.js) lives; defaults to this folder's parent. */
  kernelDir?: string;
}

const PRELUDE = "<prelude>";

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

export class NotebookLanguage {
  readonly cwd: string;
  readonly kernelDir: string;
  readonly packageRoot: string;
  private readonly project: VirtualProject;
  /** Cells in the project, oldest first. */
  private readonly cells: CellRecord[] = [];
  /** Global name -> the cell that declares it now, or PRELUDE. */
  private readonly owners = new Map<string, CellRecord | typeof PRELUDE>();
  /** Names no cell can see by that name: renamed old bindings and shim namespaces. */
  private readonly hidden = new Set<string>();
  private cellCount = 0;
  private renameCount = 0;

  constructor(options: NotebookLanguageOptions = {}) {
    this.cwd = posix(resolve(options.cwd ?? process.cwd()));
    this.kernelDir = posix(resolve(options.kernelDir ?? resolve(dirname(fileURLToPath(import.meta.url)), "..")));
    // dist/kernel/*.js sits beside dist/kernel/*.d.ts; the package root is two levels up.
    this.packageRoot = posix(resolve(this.kernelDir, "../.."));
    this.project = new VirtualProject(this.cwd, this.kernelDir, this.packageRoot);
    for (const name of preludeNames(this.kernelDir)) this.owners.set(name, PRELUDE);
    this.writePrelude();
  }

  private writePrelude(): void {
    writePrelude(this.project, (name) => this.owners.get(name) === PRELUDE);
  }

  /** Releases this notebook's files (lib files stay in the shared registry for other instances). */
  dispose(): void {
    this.project.dispose();
  }

  /** Loads TypeScript's lib and the preloaded packages' types, so the first request is quick. */
  warmUp(): void {
    this.complete("tf.", 3);
    this.diagnostics("display.html('');");
  }

  /** A cell that ran: later completions and diagnostics see its declarations. */
  addCell(code: string): void {
    forgetMissingFiles();
    const n = ++this.cellCount;
    // An expression, a call, a display: nothing for later cells to see, and no parse needed to know it.
    if (!mayDeclare(code)) return;
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
      this.project.setFile(record.shimPath, cell.shim!);
      this.hidden.add(namespace);
    }
    this.project.setFile(record.path, cell.text);
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
    this.project.setQuery("");
    const program = this.project.program();
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
      if (edits.length) this.project.setFile(path, applyEdits(source.text, edits));
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
      const others = this.cells.filter((c) => c !== cell).map((c) => this.project.text(c.path)!);
      if (cell.renamed.some((name) => others.some((text) => text.includes(name)))) continue;
      this.cells.splice(this.cells.indexOf(cell), 1);
      this.project.deleteFile(cell.path);
      if (cell.shimPath) this.project.deleteFile(cell.shimPath);
      for (const name of cell.renamed) this.hidden.delete(name);
    }
  }

  complete(code: string, cursor: number): Completion {
    return complete(this.project, this.hidden, code, cursor);
  }

  /** Quick info at the cursor, at the identifier before it, or at the function of the call it is in. */
  inspect(code: string, cursor: number, detailLevel = 0): Record<string, string> | null {
    return inspect(this.project, (path) => this.cells.some((c) => c.path === path), code, cursor, detailLevel);
  }

  /** Type errors of `code` as the next cell: `line N: message (TScode)`, with cell line numbers. */
  diagnostics(code: string): string[] {
    return diagnostics(this.project, (name) => this.owners.has(name), code);
  }
}
