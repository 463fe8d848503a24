// A child process for the resume test: trains a tiny model with checkpoints, optionally killing
// itself (SIGKILL) at a step, and prints the loss history as JSON. Without arguments it does nothing
// (node --test runs every file under test/).

import { useCpu, tinyModel, tokens } from "./helpers.js";
import { fit } from "../../../sdk/train/fit.js";
import { batches } from "../../../sdk/train/batches.js";

const [mode, dir, killAt] = process.argv.slice(2);
if (mode === "train") {
  await useCpu();
  const model = tinyModel(5);
  const h = await fit(model, batches(tokens(), { batchSize: 4, seqLen: 16, seed: 2 }), {
    steps: 12,
    lr: 1e-2,
    warmup: 2,
    seed: 3,
    accumulate: 2,
    quiet: true,
    checkpoint: { dir, every: 4 },
    onProgress: (e) => {
      if (killAt && e.step === Number(killAt)) process.kill(process.pid, "SIGKILL");
    },
  });
  process.stdout.write(`${JSON.stringify({ loss: h.loss, resumedFrom: h.resumedFrom, steps: h.steps })}\n`);
}
process.exit(0);
