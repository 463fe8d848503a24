import { test } from "node:test";
import assert from "node:assert/strict";
import { Tokenizer } from "../../../sdk/io/tokenizer.js";
import { fixtureDir, tempDir } from "../models/helpers.js";

test("tokenizer.json: encode / decode round trip, special tokens", async () => {
  const tok = await Tokenizer.load(fixtureDir("qwen2"));
  assert.equal(tok.vocabSize, 64);
  const ids = tok.encode("hello there, the world!");
  assert.ok(ids.every((i) => i >= 0 && i < 64));
  assert.equal(tok.decode(ids), "hello there, the world!");
  assert.equal(tok.tokenToId("<|im_end|>"), 3);
  assert.equal(tok.eosToken, "<|im_end|>");
  assert.deepEqual(tok.tokenize("the"), ["▁", "th", "e"]);
});

test("chat template renders like transformers' apply_chat_template", async () => {
  const tok = await Tokenizer.load(fixtureDir("qwen2"));
  const messages = [
    { role: "system", content: "be brief" },
    { role: "user", content: "hi there" },
  ];
  assert.equal(tok.applyChatTemplate(messages), "<|im_start|>system\nbe brief<|im_end|>\n<|im_start|>user\nhi there<|im_end|>\n");
  const withPrompt = tok.applyChatTemplate(messages, { addGenerationPrompt: true });
  assert.ok(withPrompt.endsWith("<|im_start|>assistant\n"));
  const ids = tok.encode(withPrompt);
  assert.equal(ids[0], 2, "<|im_start|> is one special token");
  assert.equal(tok.decode(ids, { skipSpecialTokens: true }), "system\nbe brief\nuser\nhi there\nassistant\n");
});

test("save and reload give the same tokenizer", async (t) => {
  const dir = await tempDir(t);
  const tok = await Tokenizer.load(fixtureDir("qwen2"));
  await tok.save(dir);
  const back = await Tokenizer.load(dir);
  assert.deepEqual(back.encode("the world"), tok.encode("the world"));
  assert.equal(back.applyChatTemplate([{ role: "user", content: "x" }]), tok.applyChatTemplate([{ role: "user", content: "x" }]));
  assert.equal(await Tokenizer.loadIfPresent(fixtureDir("llama")), null);
  await assert.rejects(Tokenizer.load(fixtureDir("llama")), /no tokenizer\.json/);
});
