// Bad input to the SDK: each gives an error that names the problem, and leaks nothing.
import assert from "node:assert/strict";
import { cp, mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { before, test } from "node:test";
import * as tf from "@tensorflow/tfjs-core";
import { Tokenizer } from "../../sdk/io/tokenizer.js";
import { config } from "../../sdk/models/config.js";
import { create, load } from "../../sdk/models/index.js";
import { saveCheckpoint } from "../../sdk/train/checkpoint.js";
import { fit } from "../../sdk/train/fit.js";
import { causalLmLoss } from "../../sdk/train/loss.js";
import { AdamW } from "../../sdk/train/adamw.js";
import { fixtureDir, tempDir } from "./models/helpers.js";
import { tinyModel, tokens, useCpu } from "./train/helpers.js";

before(useCpu);

test("load frees every weight it read when generation_config.json or tokenizer.json is bad", async (t) => {
  for (const [file, text, message] of [
    ["generation_config.json", "{ not json", /generation_config\.json: not valid JSON/],
    ["tokenizer.json", JSON.stringify({ model: { type: "BPE", vocab: { a: 0, b: null }, merges: [] } }), /model\.vocab\["b"\] = null/],
  ] as const) {
    const dir = await tempDir(t);
    await cp(fixtureDir("llama"), dir, { recursive: true });
    await writeFile(join(dir, file), text);
    const before = tf.memory().numTensors;
    await assert.rejects(load(dir), message);
    assert.equal(tf.memory().numTensors, before, `${file}: no weight survives the failed load`);
  }
});

test("labels are checked as PyTorch checks them: [0, vocab) or -100", () => {
  const model = tinyModel();
  for (const bad of [999, -1, 2.5, 32]) {
    const labels = [[1, 2, bad, 4]];
    assert.throws(
      () => causalLmLoss(tf.zeros([1, 4, 32]) as tf.Tensor3D, labels),
      new RegExp(`labels\\[0\\]\\[2\\] = ${bad}: expected an integer in \\[0, 31\\] or -100`),
    );
  }
  const loss = causalLmLoss(tf.zeros([1, 4, 32]) as tf.Tensor3D, [[1, -100, 3, 4]]);
  assert.ok(Math.abs(loss.dataSync()[0]! - Math.log(32)) < 1e-5, "uniform logits give log V; -100 is allowed");
  return assert.rejects(
    fit(model, [{ ids: [[1, 2, 3, 4]], labels: [[1, 2, 999, 4]] }], { steps: 1, quiet: true }),
    /fit: step 1, batch 0: labels\[0\]\[2\] = 999/,
  );
});

test("sizes that cannot fit are refused before anything is built", () => {
  const before = tf.memory().numTensors;
  assert.throws(
    () => create({ family: "llama", vocabSize: 100, dModel: 64, nLayers: 1e6, nHeads: 4, dFf: 256 }),
    /ModelConfig\.nLayers = 1000000: expected a size that fits: these sizes imply about .* parameters .* more than this machine's/,
  );
  assert.throws(
    () => config({ family: "llama", vocabSize: 1e9, dModel: 4096, nLayers: 1, nHeads: 32, dFf: 64 }),
    /ModelConfig\.vocabSize = 1000000000: expected a size whose weight matrix has at most 2147483647 elements/,
  );
  assert.equal(tf.memory().numTensors, before);
});

test("NaN weights make generate fail naming the row and token, not return zeros", async () => {
  const model = create({ family: "llama", vocabSize: 16, dModel: 16, nLayers: 1, nHeads: 2, dFf: 32, maxSeq: 64 });
  const w = model.parameters().get("model.norm.weight")!;
  w.assign(tf.fill(w.shape, Number.NaN));
  await assert.rejects(model.generate([[1, 2, 3]], { maxNewTokens: 4 }), /generate: the logits of row 0 at new token 0 hold NaN/);
});

test("sequences longer than maxSeq are refused by logits and generate", async () => {
  const model = tinyModel(); // maxSeq 64
  assert.throws(() => model.logits([tokens(65)]), /logits: 65 tokens per row; the model has maxSeq = 64 positions/);
  await assert.rejects(
    model.generate([tokens(60)], { maxNewTokens: 10 }),
    /a prompt of 60 tokens plus maxNewTokens = 10 exceeds the model's maxSeq = 64/,
  );
});

test("a null in tokenizer.json is an error naming the entry", async () => {
  const json = JSON.parse(await readFile(join(fixtureDir("qwen2"), "tokenizer.json"), "utf8"));
  const withNullToken = structuredClone(json);
  withNullToken.added_tokens[0] = null;
  assert.throws(() => new Tokenizer(withNullToken), /tokenizer\.json: added_tokens\[0\] = null: expected an object/);
  const withNullMerge = structuredClone(json);
  withNullMerge.model.merges[1] = null;
  assert.throws(() => new Tokenizer(withNullMerge), /model\.merges\[1\] = null/);
  const withNullModel = { ...json, model: null };
  assert.throws(() => new Tokenizer(withNullModel), /tokenizer\.json: model = null: expected an object/);
  assert.ok(
    new Tokenizer({ ...json, normalizer: null, decoder: json.decoder ?? null }).encode("the").length > 0,
    "null where HF allows it",
  );
});

test("fit stops on a NaN loss naming the step, or skips it when asked", async () => {
  const model = tinyModel();
  // A loss that depends on the weights and is NaN.
  const nanLoss = (m: typeof model, b: { ids: number[][] }) => tf.tidy(() => tf.mul(tf.sum(m.logits(b.ids)), Number.NaN) as tf.Scalar);
  const data = [{ ids: [tokens(8)] }];
  await assert.rejects(
    fit(model, data, { steps: 3, quiet: true, loss: nanLoss }),
    /fit: step 1 of 3: the loss is NaN; stopped before this step's update/,
  );
  const before = model.parameters().get("model.norm.weight")!.dataSync().slice();
  const history = await fit(model, data, { steps: 3, quiet: true, loss: nanLoss, nonFinite: "skip" });
  assert.equal(history.loss.length, 0);
  assert.deepEqual(model.parameters().get("model.norm.weight")!.dataSync(), before, "no NaN update reached the weights");
});

test("checkpoint temp folders a killed run left are removed; a live run's are not", async (t) => {
  const dir = await tempDir(t);
  await mkdir(dir, { recursive: true });
  // pid 2^22 + 1 is above Linux's pid_max limit, so no process has it.
  const dead = `.step-0000001.${2 ** 22 + 1}.tmp`;
  const live = `.step-0000001.${process.ppid}.tmp`;
  for (const d of [dead, live]) await mkdir(join(dir, d));
  const model = tinyModel();
  const opt = new AdamW({ beta1: 0.9, beta2: 0.999, eps: 1e-8 });
  await saveCheckpoint(dir, model.parameters(), opt, {
    step: 1,
    seed: 0,
    dataPosition: 0,
    history: { loss: [], lr: [], gradNorm: [], steps: 0, elapsedMs: 0, tokensPerSecond: 0 } as never,
  });
  opt.dispose();
  const left = await readdir(dir);
  assert.ok(!left.includes(dead), "the dead run's temp folder is gone");
  assert.ok(left.includes(live), "a running process's temp folder stays");
});
