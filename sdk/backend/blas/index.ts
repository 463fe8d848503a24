// The native path of the wasm backend: when OpenBLAS is present, matrix products run in it (on
// the wasm heap, see batch-matmul.ts) and the rest stays in wasm. On by default wherever the
// library loads; STILLROOM_BLAS=off or use("wasm", { blas: false }) keeps everything in wasm.
import { blasDisabledByEnv, loadBlas, MAX_BLAS_THREADS, type Blas } from "./openblas.js";

export { MAX_BLAS_THREADS } from "./openblas.js";

let active: Blas | null = null;
let chosen = false;
let whyNot: string | null = null;

/** The BLAS that runs matrix products now, or null (XNNPACK in wasm runs them). The first call
 *  makes the default choice when use() has made none (a wasm backend started by tf.setBackend). */
export function activeBlas(): Blas | null {
  if (!chosen) chooseBlas({});
  return active;
}

/** Why OpenBLAS does not run (null when it does, or before anything has chosen). */
export function blasUnavailable(): string | null {
  return whyNot;
}

export interface BlasChoice {
  /** true: require it (throw when missing); false: never; undefined: when present and not off by STILLROOM_BLAS */
  blas?: boolean;
  /** its threads, 1-64 (default: STILLROOM_BLAS_THREADS, else OpenBLAS's own default) */
  blasThreads?: number;
}

/** Switches the native path on or off; returns why it is off (null when on). */
export function chooseBlas(choice: BlasChoice): string | null {
  whyNot = choose(choice);
  chosen = true;
  return whyNot;
}

function choose(choice: BlasChoice): string | null {
  const { blas, blasThreads } = choice;
  if (blasThreads !== undefined && (!Number.isInteger(blasThreads) || blasThreads < 1 || blasThreads > MAX_BLAS_THREADS)) {
    throw new Error(`blasThreads = ${blasThreads}: expected an integer from 1 to ${MAX_BLAS_THREADS}`);
  }
  if (blas === false || (blas === undefined && blasDisabledByEnv())) {
    active = null;
    return blas === false ? "turned off by use(..., { blas: false })" : `turned off by STILLROOM_BLAS=${process.env.STILLROOM_BLAS}`;
  }
  const r = loadBlas();
  if (!r.blas) {
    active = null;
    if (blas === true) throw new Error(`use("wasm", { blas: true }): ${r.error}`);
    return r.error;
  }
  if (blasThreads !== undefined && !r.blas.setThreads(blasThreads)) {
    console.warn(`stillroom: ${r.blas.name} cannot set its thread count; blasThreads = ${blasThreads} is ignored`);
  }
  active = r.blas;
  return null;
}
