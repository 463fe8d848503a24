// The notebook as a virtual TypeScript project, every notebook file in memory:
//
//   <package>/__stillroom_prelude__.d.ts       display, progress, input, comms (a script: globals)
//   <package>/__stillroom_global_tf__.d.ts     `export * from "@tensorflow/tfjs-core";
//                                               export as namespace tf;` (likewise sr and aq)
//   <cwd>/__stillroom_imports_N__.d.ts         cell N's static imports, as a module (script.ts)
//   <cwd>/__stillroom_cell_N__.ts              cell N as it ran, as a SCRIPT
//   <cwd>/__stillroom_query__.ts               the cell being edited, as a MODULE
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
import { dirname, join } from "node:path";
import ts from "typescript";

/** Prepended to the cell being edited to make it a module; no newline, so lines keep their numbers. */
export const QUERY_PREFIX = "export {}; ";

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

export function posix(path: string): string {
  return path.replace(/\\/g, "/");
}

function memo<K, V>(cache: Map<K, V>, key: K, compute: (key: K) => V): V {
  if (cache.has(key)) return cache.get(key)!;
  const value = compute(key);
  cache.set(key, value);
  return value;
}

/** A package installed since (npm install in a cell) must be found: forget the misses. */
export function forgetMissingFiles(): void {
  for (const cache of [stableExists, stableDirs]) for (const [path, exists] of cache) if (!exists) cache.delete(path);
}

export class VirtualProject {
  readonly service: ts.LanguageService;
  readonly queryPath: string;
  private readonly files = new Map<string, VirtualFile>();
  private readonly options: ts.CompilerOptions;
  private readonly resolutionCache: ts.ModuleResolutionCache;
  private readonly stablePrefixes: string[];
  private readonly fallbackImporter: string;
  /** Notebook files with an import that did not resolve. */
  private readonly failedImports = new Set<string>();
  private projectVersion = 0;

  constructor(
    readonly cwd: string,
    readonly kernelDir: string,
    readonly packageRoot: string,
  ) {
    this.queryPath = `${cwd}/__stillroom_query__.ts`;
    this.fallbackImporter = `${packageRoot}/__stillroom_importer__.ts`;
    this.stablePrefixes = [`${posix(dirname(ts.getDefaultLibFilePath({})))}/`, `${packageRoot}/dist/`];
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
    this.resolutionCache = ts.createModuleResolutionCache(cwd, (f) => f, this.options);
    this.service = ts.createLanguageService(this.host(), documentRegistry);
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

  text(path: string): string | undefined {
    return this.files.get(path)?.text;
  }

  setFile(path: string, text: string): void {
    const old = this.files.get(path);
    if (old?.text === text) return;
    this.files.set(path, { text, version: (old?.version ?? 0) + 1, snapshot: ts.ScriptSnapshot.fromString(text) });
    this.projectVersion++;
  }

  deleteFile(path: string): void {
    if (this.files.delete(path)) this.projectVersion++;
  }

  /** Makes `code` the cell being edited; returns the query file's path. */
  setQuery(code: string): string {
    if (this.failedImports.size) this.projectVersion++;
    this.setFile(this.queryPath, QUERY_PREFIX + code);
    return this.queryPath;
  }

  program(): ts.Program {
    return this.service.getProgram()!;
  }

  /** Releases this notebook's files (lib files stay in the shared registry for other instances). */
  dispose(): void {
    this.service.dispose();
  }
}
