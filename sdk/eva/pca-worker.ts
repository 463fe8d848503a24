// The worker thread behind pca-runner.ts: it keeps one incremental PCA state per layer key and
// applies the batches it is sent, in order, so that the PCA of one batch runs on a second core while
// the main thread runs the model on the next. It loads no TensorFlow.js (ipca-update.ts is plain
// arrays and, with the native path, OpenBLAS's LAPACK).

import { parentPort } from "node:worker_threads";
import { emptyPca, type PcaState, updatePca } from "./ipca-update.js";
import { type PcaReply, type PcaRequest, snapshotOf } from "./pca-runner.js";

const states = new Map<string, PcaState>();

parentPort?.on("message", (req: PcaRequest) => {
  if (req.type === "drop") {
    for (const key of states.keys()) if (key.startsWith(req.prefix)) states.delete(key);
    return;
  }
  const reply: PcaReply = { id: req.id, results: [] };
  for (const job of req.jobs) {
    try {
      const next = updatePca(states.get(job.key) ?? emptyPca(job.k), job.data, job.n, job.d, req.native, job.where);
      states.set(job.key, next);
      reply.results.push({ key: job.key, snapshot: snapshotOf(next) });
    } catch (e) {
      reply.results.push({ key: job.key, error: (e as Error).message ?? String(e) });
    }
  }
  parentPort?.postMessage(reply);
});
