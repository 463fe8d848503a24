import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { batches } from "../../../sdk/train/batches.js";
import { jsonl } from "../../../sdk/train/jsonl.js";
import { checkBatch, openSource } from "../../../sdk/train/data.js";
import { tokenizer } from "../../../sdk/tasks/vocab.js";

test("batches are windows of the token arrays, a pure function of (seed, index)", () => {
  const toks = Array.from({ length: 100 }, (_, i) => i);
  const b = batches(toks, { batchSize: 3, seqLen: 8, seed: 4 });
  const x = b(5);
  assert.deepEqual(x, batches(toks, { batchSize: 3, seqLen: 8, seed: 4 })(5));
  assert.notDeepEqual(x, b(6));
  for (const r of x.ids) {
    assert.equal(r.length, 8);
    for (let i = 1; i < r.length; i++) assert.equal(r[i], r[i - 1] + 1);
  }
  const it = b[Symbol.iterator]();
  assert.deepEqual(it.next().value, b(0));
  assert.throws(() => batches([[1, 2], [3]], { batchSize: 1, seqLen: 4 }), /seqLen = 4/);
  assert.throws(() => batches(toks, { batchSize: 0, seqLen: 4 }), /batchSize = 0/);
});

test("sources resume at a position; labels default to ids with masked positions ignored", async () => {
  const arr = [0, 1, 2].map((i) => ({ ids: [[i]] }));
  const s = await openSource(arr, 4);
  assert.deepEqual((await s.next()).ids, [[1]]);
  function* gen() {
    for (let i = 0; ; i++) yield { ids: [[i]] };
  }
  const g = await openSource(gen(), 3);
  assert.deepEqual((await g.next()).ids, [[3]]);
  assert.equal(g.position, 4);
  assert.deepEqual(checkBatch({ ids: [[4, 5, 6]], mask: [[1, 1, 0]] }, 10, "x").labels, [[4, 5, -100]]);
});

test("jsonl packs text and chat lines into seqLen windows with a tokenizer", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "stillroom-jsonl-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const text = join(dir, "text.jsonl");
  await writeFile(text, ['{"text": "the cat says meows ."}', '{"text": "the dog eats bones ."}', ""].join("\n"));
  const s = await jsonl(text, tokenizer, { seqLen: 4, batchSize: 2, seed: 1 });
  assert.equal(s.tokens, 12); // 5 + eos, 5 + eos
  assert.equal(s.sequences, 3);
  const b = s(0);
  assert.equal(b.ids.length, 2);
  assert.ok(b.ids.every((r) => r.length === 4));
  const chat = join(dir, "chat.jsonl");
  const fake = { encode: (x: string) => [...x].map((c) => c.charCodeAt(0) % 50), eosTokenId: 0 };
  await writeFile(
    chat,
    `${JSON.stringify({
      messages: [
        { role: "user", content: "hi" },
        { role: "assistant", content: "yo" },
      ],
    })}\n`,
  );
  const c = await jsonl(chat, fake, { seqLen: 5, batchSize: 1 });
  assert.equal(c.tokens, "user: hi\nassistant: yo\n".length + 1);
  await writeFile(chat, "{oops\n");
  await assert.rejects(jsonl(chat, fake, { seqLen: 5, batchSize: 1 }), /chat\.jsonl:1: not valid JSON/);
});

test("jsonl works with a Hugging Face tokenizer (text and chat template)", async (t) => {
  const { Tokenizer } = await import("../../../sdk/io/tokenizer.js");
  const { fileURLToPath } = await import("node:url");
  const tok = await Tokenizer.load(fileURLToPath(new URL("../../../../test/fixtures/models/qwen2", import.meta.url)));
  const dir = await mkdtemp(join(tmpdir(), "stillroom-jsonl-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, "mix.jsonl");
  await writeFile(
    path,
    `${JSON.stringify({ text: "Hello world, hello tokens." })}\n${JSON.stringify({ text: "A second line of text." })}\n`,
  );
  const s = await jsonl(path, tok, { seqLen: 4, batchSize: 2 });
  assert.ok(
    s.tokens >= 8 &&
      s(0)
        .ids.flat()
        .every((x) => Number.isInteger(x) && x >= 0),
  );
  const chat = join(dir, "chat.jsonl");
  await writeFile(
    chat,
    `${JSON.stringify({
      messages: [
        { role: "user", content: "Hi there" },
        { role: "assistant", content: "Hello!" },
      ],
    })}\n`,
  );
  const c = await jsonl(chat, tok, { seqLen: 2, batchSize: 1, chat: true });
  assert.ok(c.tokens > 4);
});
