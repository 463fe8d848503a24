// Stopping long work: an explicit AbortSignal and the kernel's cancellation hook both stop fit,
// generate and task scoring at their next step, and the work done so far is kept.
import assert from "node:assert/strict";
import { before, test } from "node:test";
import * as tf from "@tensorflow/tfjs-core";
import { CANCEL_HOOK, InterruptedError, throwIfCancelled } from "../../../sdk/runtime/cancel.js";
import { History } from "../../../sdk/train/history.js";
import { fit } from "../../../sdk/train/fit.js";
import { task } from "../../../sdk/tasks/suite.js";
import { create } from "../../../sdk/models/create.js";
import { tinyModel, tokens, useCpu } from "../train/helpers.js";

before(useCpu);

const batch = (vocab = 32) => ({ ids: [tokens(16, vocab)] });

test("fit stops at the step where its signal fires; the model keeps the weights of the steps done", async () => {
  const model = tinyModel();
  const before = model.parameters().get("model.embed_tokens.weight")!.dataSync().slice();
  const controller = new AbortController();
  const seen: number[] = [];
  const error = await fit(model, [batch()], {
    steps: 1000,
    quiet: true,
    signal: controller.signal,
    onProgress: (e) => {
      seen.push(e.step);
      if (e.step === 3) controller.abort();
    },
  }).then(
    () => null,
    (e) => e,
  );
  assert.ok(error instanceof InterruptedError, String(error));
  assert.match(error.message, /^fit: step 4 of 1000: interrupted$/);
  assert.deepEqual(seen, [1, 2, 3]);
  assert.ok(error.partial instanceof History);
  assert.equal((error.partial as History).steps, 3);
  const after = model.parameters().get("model.embed_tokens.weight")!.dataSync();
  assert.ok(
    after.some((v, i) => v !== before[i]),
    "three steps changed the weights",
  );
});

test("the kernel's hook stops fit, generate and scoring, and tensors are not leaked", async (t) => {
  let aborted = false;
  const controller = new AbortController();
  (globalThis as Record<symbol, unknown>)[CANCEL_HOOK] = () => controller.signal;
  t.after(() => delete (globalThis as Record<symbol, unknown>)[CANCEL_HOOK]);
  const model = tinyModel();
  const start = tf.memory().numTensors;
  let steps = 0;
  const training = fit(model, [batch()], {
    steps: 1000,
    quiet: true,
    onProgress: () => {
      if (++steps === 2) {
        controller.abort();
        aborted = true;
      }
    },
  });
  await assert.rejects(training, /fit: step 3 of 1000: interrupted/);
  assert.ok(aborted);
  await assert.rejects(model.generate([[1, 2, 3]], { maxNewTokens: 5 }), /generate: token 1 of 5: interrupted/);
  await assert.rejects(task("copy").score(model, { n: 8 }), /score: example 1 of 8: interrupted/);
  assert.equal(tf.memory().numTensors, start, "nothing allocated by the stopped loops survives");
});

test("generate stops between tokens with the tokens so far on the error", async () => {
  const model = create({ family: "llama", vocabSize: 16, dModel: 16, nLayers: 1, nHeads: 2, dFf: 32, maxSeq: 64 });
  const controller = new AbortController();
  const error = await model
    .generate([[1, 2]], {
      maxNewTokens: 10,
      signal: controller.signal,
      onToken: (_tokens, step) => {
        if (step === 1) controller.abort();
      },
    })
    .catch((e) => e);
  assert.ok(error instanceof InterruptedError);
  assert.match(error.message, /generate: token 3 of 10: interrupted/);
  assert.equal((error.partial as number[][])[0]!.length, 2);
});

test("throwIfCancelled reads an explicit signal without any hook", () => {
  const controller = new AbortController();
  throwIfCancelled("loop: step 1");
  controller.abort();
  assert.throws(() => throwIfCancelled("loop: step 2", controller.signal), {
    name: "InterruptedError",
    message: "loop: step 2: interrupted",
  });
});
