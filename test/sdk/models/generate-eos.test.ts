// Where generation stops by default: generation_config.json's eos, else config.json's, else
// the tokenizer's eos token.
import assert from "node:assert/strict";
import { cp, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { before, test } from "node:test";
import { eosIds } from "../../../sdk/models/generate.js";
import { create, load } from "../../../sdk/models/index.js";
import { EOS, VOCAB_SIZE } from "../../../sdk/tasks/vocab.js";
import { fixtureDir, tempDir, useCpu } from "./helpers.js";

before(useCpu);

async function editJson(path: string, edit: (json: Record<string, unknown>) => void): Promise<void> {
  const json = JSON.parse(await readFile(path, "utf8"));
  edit(json);
  await writeFile(path, JSON.stringify(json));
}

test("a model whose configs name no eos stops at its tokenizer's eos token", async (t) => {
  const dir = await tempDir(t);
  await cp(fixtureDir("qwen2"), dir, { recursive: true });
  for (const file of ["config.json", "generation_config.json"]) await editJson(join(dir, file), (j) => delete j.eos_token_id);
  const prompt = [4, 36, 14];
  const free = (await (await load(dir)).generate(prompt, { maxNewTokens: 12, temperature: 0, eosTokenId: null })) as number[];
  // The tokenizer's eos becomes a token the model is known to emit, at its first appearance.
  const at = free.findIndex((tok, i) => i >= 2 && free.indexOf(tok) === i);
  assert.ok(at >= 2, `a fresh token among ${free}`);
  const model = await load(dir);
  const eosToken = model.tokenizer!.idToToken(free[at]!)!;
  await editJson(join(dir, "tokenizer_config.json"), (j) => (j.eos_token = eosToken));
  const withEos = await load(dir);
  assert.deepEqual(withEos.generationConfig.eosTokenIds, [], "no eos in either config");
  assert.deepEqual(eosIds(withEos), [free[at]]);
  assert.deepEqual(await withEos.generate(prompt, { maxNewTokens: 12, temperature: 0 }), free.slice(0, at + 1));
  for (const m of [model, withEos]) m.dispose();
});

test("a model made for the task suite, with the suite's EOS in its config, stops there", async () => {
  const cfg = { family: "llama" as const, vocabSize: VOCAB_SIZE, dModel: 16, nLayers: 1, nHeads: 2, dFf: 32, maxSeq: 32 };
  const model = create({ ...cfg, eosTokenId: EOS }, { seed: 3 });
  assert.deepEqual(eosIds(model), [EOS]);
  // An untrained model samples near-uniformly: find a seed whose free run emits EOS midway.
  const prompt = [1, 9, 30, 31, 3];
  const run = (seed: number, eosTokenId?: null) =>
    model.generate(prompt, { maxNewTokens: 24, temperature: 1, seed, eosTokenId }) as Promise<number[]>;
  let seed = 0;
  let free = await run(seed, null);
  while (free.indexOf(EOS) < 1 && seed < 200) free = await run(++seed, null);
  const at = free.indexOf(EOS);
  assert.ok(at >= 1, "some seed emits EOS");
  assert.deepEqual(await run(seed), free.slice(0, at + 1));
  assert.deepEqual(eosIds(create(cfg, { seed: 3 })), [], "a config without eos names none");
  model.dispose();
});
