import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { load, create, type Model } from "../../../sdk/models/index.js";
import { argmax } from "../../../sdk/models/sampling.js";
import { FAMILIES, fixtureDir, useCpu } from "./helpers.js";

before(useCpu);

/** Greedy decoding without a cache: full logits for the growing sequence, argmax of the last row. */
function uncachedGreedy(model: Model, prompt: number[], n: number): number[] {
  const seq = [...prompt];
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const logits = model.logits([seq]);
    const V = logits.shape[2];
    const last = logits.dataSync().slice((seq.length - 1) * V, seq.length * V);
    logits.dispose();
    const tok = argmax(last);
    out.push(tok);
    seq.push(tok);
  }
  return out;
}

for (const family of FAMILIES) {
  test(`${family}: cached greedy generation equals the uncached argmax loop, and leaks nothing`, async () => {
    const model = await load(fixtureDir(family));
    const prompt = [5, 17, 33, 2, 40];
    const before = tf.memory().numTensors;
    const cached = await model.generate(prompt, { maxNewTokens: 12, temperature: 0, eosTokenId: null });
    assert.equal(tf.memory().numTensors, before, "generate leaves tf.memory() as it found it");
    assert.deepEqual(cached, uncachedGreedy(model, prompt, 12));
    model.dispose();
  });
}

test("batched prompts of different lengths (left-padded) generate what each prompt gives alone", async () => {
  const model = await load(fixtureDir("llama"));
  const prompts = [
    [3, 9, 27, 14, 8, 1],
    [50, 2],
    [7, 7, 7],
  ];
  const batched = await model.generate(prompts, { maxNewTokens: 6, eosTokenId: null });
  for (let b = 0; b < prompts.length; b++) {
    assert.deepEqual(batched[b], await model.generate(prompts[b], { maxNewTokens: 6, eosTokenId: null }), `row ${b}`);
  }
  model.dispose();
});

test("sampling: the seed decides; topK 1 is greedy; rows stop at eos", async () => {
  const model = await load(fixtureDir("qwen2"));
  const prompt = [4, 36, 14];
  const opts = { maxNewTokens: 10, temperature: 1.5, eosTokenId: null, topP: 0.95 };
  const a = await model.generate(prompt, { ...opts, seed: 1 });
  assert.deepEqual(await model.generate(prompt, { ...opts, seed: 1 }), a);
  const others = await Promise.all([2, 3, 4, 5].map((seed) => model.generate(prompt, { ...opts, seed })));
  assert.ok(
    others.some((o) => o.join() !== a.join()),
    "different seeds give different samples",
  );
  const greedy = await model.generate(prompt, { maxNewTokens: 10, eosTokenId: null });
  assert.deepEqual(await model.generate(prompt, { maxNewTokens: 10, temperature: 1, topK: 1, eosTokenId: null, seed: 9 }), greedy);
  const eos = greedy[2];
  const stopped = await model.generate(prompt, { maxNewTokens: 10, eosTokenId: eos });
  assert.deepEqual(stopped, greedy.slice(0, greedy.indexOf(eos) + 1), "stops after the first eos, which it keeps");
  const steps: number[][] = [];
  await model.generate(prompt, { maxNewTokens: 3, eosTokenId: null, onToken: (t) => steps.push(t) });
  assert.deepEqual(
    steps.map((s) => s[0]),
    greedy.slice(0, 3),
  );
  model.dispose();
});

test("text prompts go through the tokenizer; options are validated", async () => {
  const model = await load(fixtureDir("qwen2"));
  const prompt = model.tokenizer!.applyChatTemplate([{ role: "user", content: "hello" }], { addGenerationPrompt: true });
  const text = await model.generate(prompt, { maxNewTokens: 5 });
  assert.equal(typeof text, "string");
  await assert.rejects(model.generate([1, 2], { topP: 0 }), /generate: topP = 0: expected a number in \(0, 1\]/);
  await assert.rejects(model.generate([1, 2], { maxNewTokens: -1 }), /maxNewTokens = -1/);
  await assert.rejects(model.generate([1, 99]), /prompt 0\[0\]\[1\] = 99/);
  const noTok = create({ family: "llama", vocabSize: 16, dModel: 8, nLayers: 1, nHeads: 2, dFf: 8 });
  await assert.rejects(noTok.generate("hi"), /needs a tokenizer/);
  model.dispose();
  noTok.dispose();
});
