// The one small vocabulary every synthetic task shares (VOCAB_SIZE = 128, ids >= TOKENS.length unused),
// and a tiny tokenizer for display: ids <-> space-separated token strings.
//
//   0-7    specials   <pad> <bos> <eos> = ? , : .
//   8-14   task tags  recall copy sort add count brackets lm
//   15-24  digits     0 .. 9
//   25-50  letters    a .. z
//   51-58  brackets   ( ) [ ] { } < >
//   59-62  words      yes no + mod
//   63-    LM words   the corpus's nouns, verbs, places and foods (see LM_WORDS)

export const SPECIALS = ["<pad>", "<bos>", "<eos>", "=", "?", ",", ":", "."] as const;
export const TAGS = ["recall", "copy", "sort", "add", "count", "brackets", "lm"] as const;
export const DIGITS = Array.from({ length: 10 }, (_, i) => String(i));
export const LETTERS = Array.from({ length: 26 }, (_, i) => String.fromCharCode(97 + i));
export const BRACKETS = ["(", ")", "[", "]", "{", "}", "<", ">"];
export const WORDS = ["yes", "no", "+", "mod"];
export const ANIMALS = ["cat", "dog", "cow", "fox", "owl", "bee", "hen", "pig", "rat", "bat"];
export const SOUNDS = ["meows", "barks", "moos", "yips", "hoots", "buzzes", "clucks", "oinks", "squeaks", "clicks"];
export const HOMES = ["house", "kennel", "barn", "den", "tree", "hive", "coop", "sty", "hole", "cave"];
export const FOODS = ["fish", "bones", "grass", "mice", "moths", "pollen", "seeds", "corn", "cheese", "fruit"];
export const LM_WORDS = ["the", "says", "lives", "in", "eats", ...ANIMALS, ...SOUNDS, ...HOMES, ...FOODS];

export const TOKENS: readonly string[] = [...SPECIALS, ...TAGS, ...DIGITS, ...LETTERS, ...BRACKETS, ...WORDS, ...LM_WORDS];
export const VOCAB_SIZE = 128;

const ID = new Map(TOKENS.map((t, i) => [t, i]));
if (ID.size !== TOKENS.length || TOKENS.length > VOCAB_SIZE)
  throw new Error(`tasks vocabulary: ${TOKENS.length} tokens (duplicates or over ${VOCAB_SIZE})`);

export const PAD = 0;
export const BOS = 1;
export const EOS = 2;

/** The id of a token string; throws on an unknown one. */
export function id(token: string): number {
  const i = ID.get(token);
  if (i === undefined) throw new Error(`tasks vocabulary: no token "${token}"`);
  return i;
}

export const ids = (tokens: string[]) => tokens.map(id);

/** ids <-> strings for display; encode splits on whitespace. */
export const tokenizer = {
  vocabSize: VOCAB_SIZE,
  eosTokenId: EOS,
  padTokenId: PAD,
  bosTokenId: BOS,
  encode(text: string): number[] {
    return text.split(/\s+/).filter(Boolean).map(id);
  },
  decode(tokens: number[], opts: { skipSpecialTokens?: boolean } = {}): string {
    return tokens
      .filter((t) => !(opts.skipSpecialTokens && (t === PAD || t === BOS || t === EOS)))
      .map((t) => TOKENS[t] ?? `<${t}>`)
      .join(" ");
  },
  idToToken: (i: number) => TOKENS[i],
  tokenToId: (t: string) => ID.get(t),
};
