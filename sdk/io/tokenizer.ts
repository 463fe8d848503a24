// Tokenizer: tokenizer.json through @huggingface/tokenizers, chat templates (tokenizer_config.json
// "chat_template", or chat_template.jinja) rendered with @huggingface/jinja.

import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { Tokenizer as HfTokenizer } from "@huggingface/tokenizers";
import { Template } from "@huggingface/jinja";
import { writeFileAtomic, writeJsonAtomic } from "./atomic.js";
import { readJsonIfPresent } from "./json.js";
import { ArgumentError } from "../errors.js";

export interface ChatMessage {
  role: string;
  content: string;
  [key: string]: unknown;
}

export interface ChatTemplateOptions {
  /** end with the opening of an assistant turn */
  addGenerationPrompt?: boolean;
  /** a named template when tokenizer_config.json lists several ("default" otherwise) */
  templateName?: string;
  /** more template variables (tools, documents, ...) */
  [variable: string]: unknown;
}

type Json = Record<string, unknown>;

/** A special token in tokenizer_config.json is a string or an AddedToken object {content}. */
function tokenText(v: unknown): string | null {
  if (typeof v === "string") return v;
  if (v && typeof v === "object" && typeof (v as Json).content === "string") return (v as Json).content as string;
  return null;
}

function bad(source: string, path: string, value: unknown, expected: string): Error {
  return new ArgumentError(path, value, expected, source);
}

/**
 * The fields of tokenizer.json that must not be null or mistyped (the tokenizers library would skip
 * such an entry silently, leaving a token that never encodes). normalizer, pre_tokenizer,
 * post_processor, decoder, truncation and padding may be null, as in Hugging Face's files.
 */
export function checkTokenizerJson(json: Json, source = "tokenizer.json"): void {
  if (!json || typeof json !== "object" || Array.isArray(json)) throw bad(source, "(file)", json, "a JSON object");
  const model = json.model as Json | null | undefined;
  if (!model || typeof model !== "object" || Array.isArray(model)) throw bad(source, "model", model, "an object");
  const vocab = model.vocab;
  if (Array.isArray(vocab)) {
    vocab.forEach((entry, i) => {
      if (!Array.isArray(entry) || typeof entry[0] !== "string" || typeof entry[1] !== "number")
        throw bad(source, `model.vocab[${i}]`, entry, "a [piece, score] pair");
    });
  } else if (vocab !== undefined) {
    if (!vocab || typeof vocab !== "object") throw bad(source, "model.vocab", vocab, "an object of token -> id");
    for (const [token, id] of Object.entries(vocab as Json))
      if (!Number.isInteger(id) || (id as number) < 0) throw bad(source, `model.vocab[${JSON.stringify(token)}]`, id, "an integer id >= 0");
  }
  if (model.merges !== undefined) {
    if (!Array.isArray(model.merges)) throw bad(source, "model.merges", model.merges, "an array");
    model.merges.forEach((m, i) => {
      const ok = typeof m === "string" || (Array.isArray(m) && m.length === 2 && m.every((p) => typeof p === "string"));
      if (!ok) throw bad(source, `model.merges[${i}]`, m, 'a "a b" string or an ["a", "b"] pair');
    });
  }
  const added = json.added_tokens;
  if (added !== undefined) {
    if (!Array.isArray(added)) throw bad(source, "added_tokens", added, "an array");
    added.forEach((t, i) => {
      if (!t || typeof t !== "object") throw bad(source, `added_tokens[${i}]`, t, "an object {id, content, ...}");
      const { id, content } = t as Json;
      if (!Number.isInteger(id) || (id as number) < 0) throw bad(source, `added_tokens[${i}].id`, id, "an integer id >= 0");
      if (typeof content !== "string") throw bad(source, `added_tokens[${i}].content`, content, "a string");
    });
  }
}

export class Tokenizer {
  private readonly tok: HfTokenizer;
  private readonly templates = new Map<string, Template>();

  /** tokenizerJson: tokenizer.json; config: tokenizer_config.json; chatTemplate overrides the config's */
  constructor(
    readonly tokenizerJson: Json,
    readonly config: Json = {},
    readonly chatTemplateFile: string | null = null,
    readonly source = "tokenizer.json",
  ) {
    checkTokenizerJson(tokenizerJson, source);
    try {
      this.tok = new HfTokenizer(tokenizerJson, config);
    } catch (e) {
      throw new Error(`${source}: cannot build the tokenizer (${(e as Error).message})`);
    }
  }

  /** Load tokenizer.json (+ tokenizer_config.json, chat_template.jinja) from a directory. */
  static async load(dir: string): Promise<Tokenizer> {
    const t = await Tokenizer.loadIfPresent(dir);
    if (!t) throw new Error(`${dir}: no tokenizer.json`);
    return t;
  }

  static async loadIfPresent(dir: string): Promise<Tokenizer | null> {
    const json = (await readJsonIfPresent(join(dir, "tokenizer.json"))) as Json | undefined;
    if (!json) return null;
    const config = ((await readJsonIfPresent(join(dir, "tokenizer_config.json"))) as Json | undefined) ?? {};
    const jinja = await readFile(join(dir, "chat_template.jinja"), "utf8").catch(() => null);
    return new Tokenizer(json, config, jinja, join(dir, "tokenizer.json"));
  }

  get vocabSize(): number {
    return this.tok.get_vocab(true).size;
  }

  get bosToken(): string | null {
    return tokenText(this.config.bos_token);
  }

  get eosToken(): string | null {
    return tokenText(this.config.eos_token);
  }

  get padToken(): string | null {
    return tokenText(this.config.pad_token);
  }

  tokenToId(token: string): number | undefined {
    return this.tok.token_to_id(token);
  }

  idToToken(id: number): string | undefined {
    return this.tok.id_to_token(id);
  }

  encode(text: string, opts: { addSpecialTokens?: boolean } = {}): number[] {
    return this.tok.encode(text, { add_special_tokens: opts.addSpecialTokens ?? true }).ids;
  }

  decode(ids: number[], opts: { skipSpecialTokens?: boolean } = {}): string {
    return this.tok.decode(ids, { skip_special_tokens: opts.skipSpecialTokens ?? false });
  }

  tokenize(text: string): string[] {
    return this.tok.tokenize(text);
  }

  /** The template source: chat_template.jinja, else tokenizer_config.json chat_template (string or named list). */
  chatTemplate(name = "default"): string {
    if (this.chatTemplateFile !== null) return this.chatTemplateFile;
    const t = this.config.chat_template;
    if (typeof t === "string") return t;
    if (Array.isArray(t)) {
      const hit = (t as { name?: string; template?: string }[]).find((x) => x.name === name);
      if (hit?.template) return hit.template;
      throw new Error(`tokenizer_config.json: no chat template named "${name}" (have: ${t.map((x: Json) => x.name).join(", ")})`);
    }
    throw new Error("tokenizer_config.json: no chat_template (and no chat_template.jinja)");
  }

  /** Render messages with the model's chat template (as transformers' apply_chat_template(tokenize=False)). */
  applyChatTemplate(messages: ChatMessage[], opts: ChatTemplateOptions = {}): string {
    const { addGenerationPrompt = false, templateName = "default", ...extra } = opts;
    const source = this.chatTemplate(templateName);
    let template = this.templates.get(source);
    if (!template) {
      try {
        template = new Template(source);
      } catch (e) {
        throw new Error(`chat template: cannot parse (${(e as Error).message})`);
      }
      this.templates.set(source, template);
    }
    return template.render({
      messages,
      add_generation_prompt: addGenerationPrompt,
      bos_token: this.bosToken ?? "",
      eos_token: this.eosToken ?? "",
      pad_token: this.padToken ?? "",
      ...extra,
    });
  }

  /** Write tokenizer.json, tokenizer_config.json (and chat_template.jinja when it came from one), atomically. */
  async save(dir: string): Promise<void> {
    await writeJsonAtomic(join(dir, "tokenizer.json"), this.tokenizerJson);
    await writeJsonAtomic(join(dir, "tokenizer_config.json"), this.config);
    if (this.chatTemplateFile !== null) await writeFileAtomic(join(dir, "chat_template.jinja"), this.chatTemplateFile);
  }
}
