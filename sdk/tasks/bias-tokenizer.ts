// A word-level tokenizer for the small classification models of the bias tasks, written as a real
// tokenizer.json (the Hugging Face format sdk/io/tokenizer.ts loads, and the Rust `tokenizers`
// library too). The models here are tiny, so whole words are the tokens:
//
//   normalizer     Lowercase
//   pre-tokenizer  Whitespace (runs of word characters; runs of punctuation)
//   model          WordPiece over whole words only: a word outside the vocabulary has no "##" pieces
//                  to fall back on, so it becomes [UNK] (the format has no WordLevel model that
//                  @huggingface/tokenizers reads)
//   post-process   [CLS] appended at the END: a causal model's last position sees the whole text,
//                  so the classifier pools the hidden state there ("last" pooling)
//
// Ids: [PAD] 0, [UNK] 1, [CLS] 2, then words by falling frequency in the texts it was built from
// (ties alphabetical), so the same texts always give the same ids.

import { ArgumentError } from "../errors.js";
import { Tokenizer } from "../io/tokenizer.js";

export const PAD_TOKEN = "[PAD]";
export const UNK_TOKEN = "[UNK]";
export const CLS_TOKEN = "[CLS]";
export const SPECIAL_TOKENS = [PAD_TOKEN, UNK_TOKEN, CLS_TOKEN] as const;

/** Words as the tokenizer's normalizer and pre-tokenizer cut them: lowercase \w+ runs and punctuation runs. */
export function words(text: string): string[] {
  return text.toLowerCase().match(/\w+|[^\w\s]+/gu) ?? [];
}

export interface WordTokenizerOptions {
  /** keep words seen at least this often (default 1) */
  minCount?: number;
  /** at most this many ids in all, specials included (default: no limit) */
  maxVocab?: number;
}

/** tokenizer.json for a word vocabulary (specials first). */
export function wordTokenizerJson(vocabulary: readonly string[]): Record<string, unknown> {
  const vocab: Record<string, number> = {};
  [...SPECIAL_TOKENS, ...vocabulary].forEach((w, i) => {
    if (Object.hasOwn(vocab, w)) throw new ArgumentError("vocabulary", w, "distinct words (this one is listed twice)", "wordTokenizer");
    vocab[w] = i;
  });
  const special = (content: string, id: number) => ({
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  });
  const cls = { id: "A", type_id: 0 };
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: SPECIAL_TOKENS.map((t, i) => special(t, i)),
    normalizer: { type: "Lowercase" },
    pre_tokenizer: { type: "Whitespace" },
    post_processor: {
      type: "TemplateProcessing",
      single: [{ Sequence: cls }, { SpecialToken: { id: CLS_TOKEN, type_id: 0 } }],
      pair: [{ Sequence: cls }, { Sequence: { id: "B", type_id: 1 } }, { SpecialToken: { id: CLS_TOKEN, type_id: 0 } }],
      special_tokens: { [CLS_TOKEN]: { id: CLS_TOKEN, ids: [2], tokens: [CLS_TOKEN] } },
    },
    decoder: { type: "WordPiece", prefix: "##", cleanup: true },
    model: { type: "WordPiece", unk_token: UNK_TOKEN, continuing_subword_prefix: "##", max_input_chars_per_word: 100, vocab },
  };
}

/** A word-level Tokenizer over the words of `texts` (see the file comment for its layout). */
export function wordTokenizer(texts: Iterable<string>, opts: WordTokenizerOptions = {}): Tokenizer {
  const minCount = opts.minCount ?? 1;
  if (!Number.isInteger(minCount) || minCount < 1) throw new ArgumentError("minCount", minCount, "an integer >= 1", "wordTokenizer");
  const maxVocab = opts.maxVocab ?? Infinity;
  if (!(maxVocab === Infinity || (Number.isInteger(maxVocab) && maxVocab > SPECIAL_TOKENS.length))) {
    throw new ArgumentError("maxVocab", maxVocab, `an integer > ${SPECIAL_TOKENS.length} (the special tokens)`, "wordTokenizer");
  }
  const counts = new Map<string, number>();
  for (const t of texts) for (const w of words(t)) counts.set(w, (counts.get(w) ?? 0) + 1);
  for (const s of SPECIAL_TOKENS) counts.delete(s.toLowerCase());
  const kept = [...counts]
    .filter(([, c]) => c >= minCount)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .slice(0, maxVocab - SPECIAL_TOKENS.length)
    .map(([w]) => w);
  const config = { pad_token: PAD_TOKEN, unk_token: UNK_TOKEN, cls_token: CLS_TOKEN, model_max_length: 512 };
  return new Tokenizer(wordTokenizerJson(kept), config, null, "word tokenizer");
}
