// Where collect's incremental PCA updates run. On a machine with more than one core they go to a
// worker thread (pca-worker.ts, one per process, started on first use), so the PCA of batch i runs
// while the main thread runs the model on batch i + 1; otherwise, or when asked, on the calling
// thread. Both run the same update (ipca-update.ts) in the same order, so the results are identical.

import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { emptyPca, type PcaState, updatePca } from "./ipca-update.js";

/** What collect needs of a layer's PCA after an update. */
export interface PcaSnapshot {
  /** [k][d] principal directions, strongest first */
  components: Float64Array[];
  /** [k] */
  singularValues: Float64Array;
  /** [k] */
  explainedVarianceRatio: Float64Array;
  nSamplesSeen: number;
}

/** One layer's rows for one update: n rows of d features, row-major. */
export interface PcaJob {
  key: string;
  /** components kept */
  k: number;
  data: Float32Array;
  n: number;
  d: number;
  /** who is updating, for error messages ("eva.collect: model.layers.0.mlp.down_proj") */
  where: string;
}

/** A state's snapshot (the same arrays, not copies). */
export function snapshotOf(s: PcaState): PcaSnapshot {
  return {
    components: s.components,
    singularValues: s.singularValues,
    explainedVarianceRatio: s.explainedVarianceRatio,
    nSamplesSeen: s.stats?.n ?? 0,
  };
}

export type PcaRequest = { type: "fit"; id: number; jobs: PcaJob[]; native: boolean } | { type: "drop"; prefix: string };
export interface PcaReply {
  id: number;
  results: ({ key: string; snapshot: PcaSnapshot; error?: undefined } | { key: string; error: string })[];
}

export interface PcaRunner {
  /** true when updates run beside the caller (on the worker thread) */
  readonly parallel: boolean;
  /** Apply each job to its layer's PCA, in order; the layers' new snapshots. Rejects naming the first
   *  job that failed (the jobs after it still ran). A job's rows may be moved to the worker: the
   *  caller must not read them afterwards. */
  update(jobs: PcaJob[]): Promise<Map<string, PcaSnapshot>>;
  /** Forget every layer this runner updated. */
  close(): void;
}

/** A runner for one collection: on the shared worker when `parallel`, else on this thread. */
export function pcaRunner(parallel: boolean, native: boolean): PcaRunner {
  return parallel ? new WorkerRunner(native) : new InlineRunner(native);
}

/** Whether a second core is there for the worker. */
export function canRunBeside(): boolean {
  return availableParallelism() > 1;
}

class InlineRunner implements PcaRunner {
  readonly parallel = false;
  private states = new Map<string, PcaState>();
  constructor(private readonly native: boolean) {}

  async update(jobs: PcaJob[]): Promise<Map<string, PcaSnapshot>> {
    const out = new Map<string, PcaSnapshot>();
    let failed: Error | null = null;
    for (const j of jobs) {
      try {
        const next = updatePca(this.states.get(j.key) ?? emptyPca(j.k), j.data, j.n, j.d, this.native, j.where);
        this.states.set(j.key, next);
        out.set(j.key, snapshotOf(next));
      } catch (e) {
        failed ??= e as Error;
      }
    }
    if (failed) throw failed;
    return out;
  }

  close(): void {
    this.states.clear();
  }
}

interface Pending {
  resolve: (r: PcaReply) => void;
  reject: (e: Error) => void;
}

/** The process's PCA worker: started on first use, unref'd so that it never keeps the process alive. */
let shared: { worker: Worker; pending: Map<number, Pending>; nextId: number } | null = null;

function sharedWorker(): NonNullable<typeof shared> {
  if (shared) return shared;
  const worker = new Worker(new URL("./pca-worker.js", import.meta.url));
  const s = { worker, pending: new Map<number, Pending>(), nextId: 1 };
  const fail = (e: Error) => {
    if (shared === s) shared = null;
    for (const p of s.pending.values()) p.reject(e);
    s.pending.clear();
  };
  worker.on("message", (reply: PcaReply) => {
    const p = s.pending.get(reply.id);
    s.pending.delete(reply.id);
    p?.resolve(reply);
    if (s.pending.size === 0) worker.unref();
  });
  worker.on("error", (e) => fail(new Error(`eva: the PCA worker failed: ${e.message}`)));
  worker.on("exit", (code) => fail(new Error(`eva: the PCA worker exited (code ${code})`)));
  worker.unref();
  shared = s;
  return s;
}

let runners = 0;

class WorkerRunner implements PcaRunner {
  readonly parallel = true;
  private readonly prefix = `${++runners}:`;
  constructor(private readonly native: boolean) {
    sharedWorker(); // start it now: it boots while the first forward pass runs
  }

  async update(jobs: PcaJob[]): Promise<Map<string, PcaSnapshot>> {
    const s = sharedWorker();
    const id = s.nextId++;
    const named = jobs.map((j) => ({ ...j, key: this.prefix + j.key }));
    // rows that own their whole buffer move to the worker instead of being copied (the caller is done with them)
    const moved = named.filter((j) => j.data.byteOffset === 0 && j.data.byteLength === j.data.buffer.byteLength).map((j) => j.data.buffer);
    // while a request is out, the worker must keep the process alive to answer it
    s.worker.ref();
    const reply = await new Promise<PcaReply>((resolve, reject) => {
      s.pending.set(id, { resolve, reject });
      s.worker.postMessage({ type: "fit", id, jobs: named, native: this.native } satisfies PcaRequest, moved as ArrayBuffer[]);
    });
    const out = new Map<string, PcaSnapshot>();
    for (const r of reply.results) {
      if (r.error !== undefined) throw new Error(r.error);
      out.set(r.key.slice(this.prefix.length), r.snapshot);
    }
    return out;
  }

  close(): void {
    shared?.worker.postMessage({ type: "drop", prefix: this.prefix } satisfies PcaRequest);
  }
}
