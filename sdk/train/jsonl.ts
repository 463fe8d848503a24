// JSONL files -> packed training sequences: {"text": ...} lines, or chat lines {"messages": [...]}
// rendered with the tokenizer's chat template (or "role: content" lines without one). Documents are
// joined with the end-of-sequence token and cut into seqLen windows; batch i is a pure function of (seed, i).

import { readFile } from "node:fs/promises";
import { ArgumentError } from "../errors.js";
import { mulberry32, subSeed } from "../nn/random.js";
import { streamOf, type BatchStream } from "./batches.js";

export interface TextTokenizer {
  encode(text: string): number[];
  eosTokenId?: number | null;
  eosToken?: string | null;
  tokenToId?(token: string): number | undefined;
  applyChatTemplate?(messages: { role: string; content: string }[]): string;
}

export interface JsonlOptions {
  seqLen: number;
  batchSize: number;
  /** lines are {"messages": [{role, content}, ...]} (default: true when the first line has messages) */
  chat?: boolean;
  seed?: number;
}

export interface JsonlStream extends BatchStream {
  /** packed windows available */
  readonly sequences: number;
  readonly tokens: number;
}

function eosOf(tok: TextTokenizer): number | null {
  if (typeof tok.eosTokenId === "number") return tok.eosTokenId;
  if (tok.eosToken && tok.tokenToId) return tok.tokenToId(tok.eosToken) ?? null;
  return null;
}

function renderChat(tok: TextTokenizer, messages: { role: string; content: string }[]): string {
  if (tok.applyChatTemplate) {
    try {
      return tok.applyChatTemplate(messages);
    } catch {
      // no template: fall through
    }
  }
  return messages.map((m) => `${m.role}: ${m.content}\n`).join("");
}

export async function jsonl(path: string, tokenizer: TextTokenizer, opts: JsonlOptions): Promise<JsonlStream> {
  for (const f of ["seqLen", "batchSize"] as const) {
    if (!Number.isInteger(opts[f]) || opts[f] < 1) throw new ArgumentError(f, opts[f], "an integer >= 1", "jsonl");
  }
  const lines = (await readFile(path, "utf8"))
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
  const eos = eosOf(tokenizer);
  const stream: number[] = [];
  lines.forEach((line, i) => {
    let obj: { text?: unknown; messages?: unknown };
    try {
      obj = JSON.parse(line);
    } catch (e) {
      throw new Error(`${path}:${i + 1}: not valid JSON (${(e as Error).message})`);
    }
    const chat = opts.chat ?? Array.isArray(obj.messages);
    let text: string;
    if (chat) {
      if (!Array.isArray(obj.messages)) throw new Error(`${path}:${i + 1}: expected {"messages": [...]} (chat: true)`);
      text = renderChat(tokenizer, obj.messages as { role: string; content: string }[]);
    } else {
      if (typeof obj.text !== "string") throw new Error(`${path}:${i + 1}: expected {"text": string}`);
      text = obj.text;
    }
    stream.push(...tokenizer.encode(text));
    if (eos !== null) stream.push(eos);
  });
  const T = opts.seqLen;
  const n = Math.floor(stream.length / T);
  if (n === 0) throw new Error(`${path}: ${stream.length} tokens in all, fewer than seqLen = ${T}`);
  const seed = opts.seed ?? 0;
  const s = streamOf((index) => {
    const rng = mulberry32(subSeed(seed, `jsonl:${index}`));
    const ids = Array.from({ length: opts.batchSize }, () => {
      const k = Math.floor(rng() * n);
      return stream.slice(k * T, (k + 1) * T);
    });
    return { ids };
  }) as JsonlStream;
  Object.defineProperty(s, "sequences", { value: n });
  Object.defineProperty(s, "tokens", { value: stream.length });
  return s;
}
