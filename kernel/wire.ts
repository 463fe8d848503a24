// Pure codec for the Jupyter wire protocol: multipart frames <-> messages, HMAC signing.
// No sockets here, so every rule of the framing can be unit-tested.
import { createHmac, randomUUID, timingSafeEqual } from "node:crypto";

export const DELIMITER = "<IDS|MSG>";
export const PROTOCOL_VERSION = "5.3";

export interface Header {
  msg_id: string;
  session: string;
  username: string;
  date: string;
  msg_type: string;
  version: string;
  [extra: string]: unknown;
}

// biome-ignore lint/suspicious/noExplicitAny: contents are read per message type (kernel/messages.ts)
export interface Message<C = Record<string, any>> {
  /** Routing identities (ROUTER sockets prepend them); replies copy the request's. */
  identities: Buffer[];
  header: Header;
  parent_header: Header | Record<string, never>;
  metadata: Record<string, unknown>;
  content: C;
  buffers: Buffer[];
}

export class WireError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WireError";
  }
}

/** Signs the four JSON frames, as the connection file's scheme says. An empty key signs nothing. */
export class Signer {
  private readonly algorithm: string;
  constructor(
    private readonly key: string,
    scheme = "hmac-sha256",
  ) {
    if (!scheme.startsWith("hmac-")) throw new WireError(`signature_scheme ${JSON.stringify(scheme)}: only hmac-* schemes are supported`);
    this.algorithm = scheme.slice("hmac-".length);
    // Fail now, not on the first message, when Node's crypto lacks the digest.
    if (key) createHmac(this.algorithm, key);
  }

  /** False with an empty key: nothing is signed, and replays cannot be told apart. */
  get signs(): boolean {
    return this.key !== "";
  }

  sign(frames: readonly (Buffer | string)[]): string {
    if (!this.key) return "";
    const hmac = createHmac(this.algorithm, this.key);
    for (const frame of frames) hmac.update(frame);
    return hmac.digest("hex");
  }

  /** Constant-time check; with a key set, a missing signature never verifies. */
  verify(signature: Buffer, frames: Buffer[]): boolean {
    if (!this.key) return true;
    const expected = Buffer.from(this.sign(frames), "ascii");
    return signature.length === expected.length && timingSafeEqual(signature, expected);
  }
}

export function newHeader(msgType: string, session: string, username = "stillroom"): Header {
  return {
    msg_id: randomUUID(),
    session,
    username,
    date: new Date().toISOString(),
    msg_type: msgType,
    version: PROTOCOL_VERSION,
  };
}

export interface NewMessage {
  session: string;
  /** The request this message answers or belongs to (its header becomes parent_header). */
  parent?: Header | Record<string, never> | null;
  /** Routing identities: a reply copies its request's; iopub uses a topic. */
  identities?: Buffer[];
  username?: string;
}

/** A message, a reply to `parent` when one is given: the one place messages are put together. */
export function newMessage(msgType: string, content: Record<string, unknown>, options: NewMessage): Message {
  return {
    identities: options.identities ?? [],
    header: newHeader(msgType, options.session, options.username),
    parent_header: options.parent ?? {},
    metadata: {},
    content,
    buffers: [],
  };
}

/**
 * Signatures of messages already accepted, so a replayed message (a copy of a validly signed one)
 * is refused, as jupyter_client's Session does. Bounded: past `limit` entries, a tenth of them
 * (the oldest) are forgotten.
 */
export class SignatureHistory {
  private readonly seen = new Set<string>();
  constructor(readonly limit = 1 << 16) {}

  /** Records the signature; false when it was seen before (a replay). */
  add(signature: string): boolean {
    if (this.seen.has(signature)) return false;
    if (this.seen.size >= this.limit) {
      let drop = Math.max(1, Math.floor(this.limit / 10));
      for (const old of this.seen) {
        if (drop-- <= 0) break;
        this.seen.delete(old);
      }
    }
    this.seen.add(signature);
    return true;
  }

  get size(): number {
    return this.seen.size;
  }
}

/** Frames of a message, signature included, ready for a zeromq send. */
export function encode(message: Message, signer: Signer): Buffer[] {
  return encodeToSend(message, signer).map((frame) => (typeof frame === "string" ? Buffer.from(frame, "utf8") : frame));
}

/**
 * The frames of `encode`, with the signature and the JSON frames left as strings, for a sender
 * that copies them into its own buffer once (the kernel's ZMTP sockets; zeromq.js does too).
 */
export function encodeToSend(message: Message, signer: Signer): (Buffer | string)[] {
  const json = [message.header, message.parent_header, message.metadata, message.content].map((part) => JSON.stringify(part ?? {}));
  return [...message.identities, DELIMITER, signer.sign(json), ...json, ...message.buffers];
}

/**
 * Message from received frames. Throws WireError naming what is wrong: a missing delimiter,
 * too few frames, a bad signature, a signature seen before (with `history`, and a key), or a JSON
 * frame that does not parse to an object.
 */
export function decode(frames: Buffer[], signer: Signer, history?: SignatureHistory): Message {
  const at = frames.findIndex((f) => f.length === DELIMITER.length && f.toString("latin1") === DELIMITER);
  if (at < 0) throw new WireError(`no ${DELIMITER} delimiter among ${frames.length} frames`);
  if (frames.length < at + 6) throw new WireError(`expected 5 frames after the delimiter, got ${frames.length - at - 1}`);
  const signature = frames[at + 1]!;
  const json = frames.slice(at + 2, at + 6);
  if (!signer.verify(signature, json)) throw new WireError("signature does not match (message dropped)");
  if (history && signer.signs && !history.add(signature.toString("latin1")))
    throw new WireError("signature seen before: a replayed message (dropped)");
  const names = ["header", "parent_header", "metadata", "content"] as const;
  const parts = json.map((frame, i) => {
    let value: unknown;
    try {
      value = JSON.parse(frame.toString("utf8"));
    } catch (e) {
      throw new WireError(`${names[i]} frame is not JSON: ${(e as Error).message}`);
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      throw new WireError(`${names[i]} frame must be a JSON object`);
    }
    return value as Record<string, unknown>;
  });
  const header = parts[0] as Header;
  if (typeof header.msg_type !== "string" || typeof header.msg_id !== "string") {
    throw new WireError("header lacks a string msg_type or msg_id");
  }
  return {
    identities: frames.slice(0, at),
    header,
    parent_header: parts[1] as Header,
    metadata: parts[2]!,
    content: parts[3]!,
    buffers: frames.slice(at + 6),
  };
}
