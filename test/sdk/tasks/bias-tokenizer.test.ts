import { test } from "node:test";
import assert from "node:assert/strict";
import { Tokenizer } from "../../../sdk/io/tokenizer.js";
import { tempDir } from "../models/helpers.js";
import { wordTokenizer } from "../../../sdk/tasks/bias-tokenizer.js";

test("the word tokenizer: specials first, words by frequency then alphabet, [CLS] appended, unknown words [UNK]", async (t) => {
  const tok = wordTokenizer(["The nurse, the ward.", "the Pilot flies", "a nurse"]);
  assert.deepEqual(
    Array.from({ length: tok.vocabSize }, (_, i) => tok.idToToken(i)),
    ["[PAD]", "[UNK]", "[CLS]", "the", "nurse", ",", ".", "a", "flies", "pilot", "ward"],
  );
  assert.deepEqual(tok.encode("THE nurse flies!"), [3, 4, 8, 1, 2], "lowercased, '!' unknown, [CLS] last");
  assert.deepEqual(tok.encode("nurses", { addSpecialTokens: false }), [1], "a word outside the vocabulary is one [UNK], not pieces");
  assert.equal(tok.decode([3, 4, 2], { skipSpecialTokens: true }), "the nurse");
  const dir = await tempDir(t);
  await tok.save(dir);
  const back = await Tokenizer.load(dir);
  assert.deepEqual(back.encode("the ward , a pilot"), tok.encode("the ward , a pilot"));
  assert.equal(back.padToken, "[PAD]");
  const capped = wordTokenizer(["a a a b b c"], { maxVocab: 5 });
  assert.equal(capped.vocabSize, 5);
  assert.equal(wordTokenizer(["a a b"], { minCount: 2 }).vocabSize, 4);
  assert.throws(() => wordTokenizer([], { maxVocab: 3 }), /maxVocab = 3: expected an integer > 3/);
});
