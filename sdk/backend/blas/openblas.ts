// OpenBLAS through koffi (an FFI whose npm package ships prebuilt binaries): cblas_sgemm on
// pointers into the wasm heap, where tfjs's wasm backend keeps every tensor. Nothing is compiled
// on the user's machine; the library comes from the system (Debian: libopenblas0-pthread).
//
// STILLROOM_BLAS: unset or "auto" = find OpenBLAS; "off" (or "0") = never; a path = that library
// (any CBLAS with cblas_sgemm; openblas_set_num_threads is used when it has it).
// STILLROOM_BLAS_THREADS: its threads (default: OpenBLAS's own, which follows OPENBLAS_NUM_THREADS
// and otherwise the cores).
import { createRequire } from "node:module";

/** Where OpenBLAS lives on common systems, in the order tried. */
const CANDIDATES = [
  "libopenblas.so.0", // Debian/Ubuntu libopenblas0-pthread (or -openmp, -serial), Fedora
  "libopenblas.so",
  "libopenblasp.so.0",
  "/opt/homebrew/opt/openblas/lib/libopenblas.dylib",
  "/usr/local/opt/openblas/lib/libopenblas.dylib",
  "libopenblas.dylib",
];

/** The most threads accepted from the environment or use(). */
export const MAX_BLAS_THREADS = 64;

export const CBLAS_ROW_MAJOR = 101;
export const CBLAS_NO_TRANS = 111;
export const CBLAS_TRANS = 112;

/** C = alpha op(A) op(B) + beta C, row-major; A, B, C are views whose first element is the matrix's. */
export type Sgemm = (
  order: number,
  transA: number,
  transB: number,
  M: number,
  N: number,
  K: number,
  alpha: number,
  A: Float32Array,
  lda: number,
  B: Float32Array,
  ldb: number,
  beta: number,
  C: Float32Array,
  ldc: number,
) => void;

export interface Blas {
  /** the file loaded, e.g. "libopenblas.so.0" */
  file: string;
  /** "OpenBLAS 0.3.21 (Haswell)", or the file name for another CBLAS */
  name: string;
  sgemm: Sgemm;
  threads(): number;
  /** false when the library cannot change its thread count */
  setThreads(n: number): boolean;
  /**
   * Ends OpenBLAS's helper threads now. After a multi-threaded product they spin, a whole core
   * each, for about 0.1 s (OPENBLAS_THREAD_TIMEOUT) in case another product follows, and lowering
   * the thread count does not stop them; code that wants that core for a thread of its own (EVA's
   * PCA worker) parks them first. The next multi-threaded product starts them again (about 0.5 ms).
   * Call it only while no other thread is inside the library. false when the library cannot.
   */
  parkHelpers(): boolean;
  /** Another function of the same library, by its C declaration (koffi syntax); null when the
   *  library lacks it. For float64 linear algebra beside the products (OpenBLAS ships LAPACK). */
  symbol(decl: string): ((...args: unknown[]) => unknown) | null;
}

export type BlasLoad = { blas: Blas; error?: undefined } | { blas: null; error: string };

let loaded: BlasLoad | null = null;

/** Reads STILLROOM_BLAS_THREADS: null when unset; throws naming a bad value. */
export function blasThreadsFromEnv(): number | null {
  const env = process.env.STILLROOM_BLAS_THREADS;
  if (env === undefined || env === "") return null;
  const n = Number(env);
  if (!Number.isInteger(n) || n < 1 || n > MAX_BLAS_THREADS) {
    throw new Error(`STILLROOM_BLAS_THREADS = ${JSON.stringify(env)}: expected an integer from 1 to ${MAX_BLAS_THREADS}`);
  }
  return n;
}

/** True when STILLROOM_BLAS turns the native path off. */
export function blasDisabledByEnv(): boolean {
  const v = (process.env.STILLROOM_BLAS ?? "").trim().toLowerCase();
  return v === "off" || v === "0" || v === "false" || v === "no";
}

/** Loads the BLAS library once; says why not when it cannot (no library, no koffi, no symbol). */
export function loadBlas(): BlasLoad {
  if (loaded) return loaded;
  loaded = open();
  return loaded;
}

function open(): BlasLoad {
  const wanted = (process.env.STILLROOM_BLAS ?? "").trim();
  const files = wanted && wanted.toLowerCase() !== "auto" ? [wanted] : CANDIDATES;
  let koffi: typeof import("koffi");
  try {
    // koffi's native part is a prebuilt .node file; requiring it lazily keeps it off the start-up path
    koffi = createRequire(import.meta.url)("koffi");
  } catch (e) {
    return { blas: null, error: `the koffi package could not load (${(e as Error).message.split("\n")[0]})` };
  }
  const tried: string[] = [];
  for (const file of files) {
    let lib: ReturnType<typeof koffi.load>;
    try {
      lib = koffi.load(file);
    } catch (e) {
      tried.push(`${file}: ${(e as Error).message.split("\n")[0]}`);
      continue;
    }
    let sgemm: Sgemm;
    try {
      sgemm = lib.func(
        "void cblas_sgemm(int order, int transA, int transB, int M, int N, int K, float alpha, const float *A, int lda, const float *B, int ldb, float beta, float *C, int ldc)",
      ) as Sgemm;
    } catch {
      tried.push(`${file}: no cblas_sgemm`);
      continue;
    }
    const optional = (decl: string) => {
      try {
        return lib.func(decl);
      } catch {
        return null;
      }
    };
    const getThreads = optional("int openblas_get_num_threads()");
    const setNum = optional("void openblas_set_num_threads(int n)");
    // exported by OpenBLAS's pthreads build for its fork handler; the threads restart on demand
    const shutdown = optional("int blas_thread_shutdown_()");
    const config = optional("const char *openblas_get_config()");
    const corename = optional("const char *openblas_get_corename()");
    const version = config ? /OpenBLAS\s+([\d.]+)/.exec(String(config()))?.[1] : undefined;
    const name = version ? `OpenBLAS ${version}${corename ? ` (${corename()})` : ""}` : file;
    const blas: Blas = {
      file,
      name,
      sgemm,
      symbol: (decl) => optional(decl) as ((...args: unknown[]) => unknown) | null,
      threads: () => (getThreads ? Number(getThreads()) : 1),
      setThreads: (n) => {
        if (!setNum) return false;
        setNum(n);
        return true;
      },
      parkHelpers: () => shutdown !== null && Number(shutdown()) === 0,
    };
    const n = blasThreadsFromEnv();
    if (n !== null) blas.setThreads(n);
    return { blas };
  }
  const hint =
    process.platform === "darwin"
      ? "brew install openblas"
      : "apt-get install libopenblas0-pthread (Debian/Ubuntu) or dnf install openblas-threads (Fedora)";
  return { blas: null, error: `no OpenBLAS found (${tried.join("; ")}); install it: ${hint}` };
}
