// Parses what a ZMTP peer sends, as it arrives in TCP chunks of any size: the greeting, then
// frames, grouped into commands and multi-frame messages.
import { COMMAND, GREETING_SIZE, LONG, MAJOR, MAX_FRAME, MORE } from "./codec.js";

export class ProtocolError extends Error {}

export type ReaderEvent =
  | { kind: "greeting"; minor: number; mechanism: string }
  | { kind: "command"; name: string; data: Buffer }
  | { kind: "message"; frames: Buffer[] };

/** Received bytes not yet parsed, kept as the chunks they came in (no copy until a frame needs one). */
class ByteQueue {
  private chunks: Buffer[] = [];
  length = 0;

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  /** The byte at `offset` from the front; the caller checks that it is there. */
  at(offset: number): number {
    for (const c of this.chunks) {
      if (offset < c.length) return c[offset]!;
      offset -= c.length;
    }
    throw new RangeError("ByteQueue.at past the end");
  }

  /** Removes and returns the first n bytes (n <= length). */
  take(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0);
    this.length -= n;
    const first = this.chunks[0]!;
    if (first.length === n) return this.chunks.shift()!;
    if (first.length > n) {
      this.chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    // spread over chunks: copy them out, then drop the used ones in one splice (a peer that
    // sends a byte at a time must not make this quadratic)
    const out = Buffer.allocUnsafe(n);
    let at = 0;
    let used = 0;
    while (at < n) {
      const c = this.chunks[used]!;
      const part = Math.min(c.length, n - at);
      c.copy(out, at, 0, part);
      at += part;
      if (part === c.length) used++;
      else this.chunks[used] = c.subarray(part);
    }
    this.chunks.splice(0, used);
    return out;
  }
}

/**
 * Feed it chunks with `push`; it returns the complete events they finish. Throws ProtocolError
 * naming the problem (and the offset into the stream) on anything a ZMTP 3 peer would not send.
 */
export class ZmtpReader {
  private readonly queue = new ByteQueue();
  private greeted = false;
  private frames: Buffer[] = [];
  /** bytes of the stream consumed so far, for error messages */
  private offset = 0;

  push(chunk: Buffer): ReaderEvent[] {
    this.queue.push(chunk);
    const events: ReaderEvent[] = [];
    if (!this.greeted) {
      const g = this.greeting();
      if (!g) return events;
      events.push(g);
    }
    for (let e = this.frame(); e; e = this.frame()) if (e !== "partial") events.push(e);
    return events;
  }

  private greeting(): ReaderEvent | null {
    const q = this.queue;
    // Check the signature as soon as it is here: a peer that is not ZMTP should hear so at once.
    if (q.length >= 1 && q.at(0) !== 0xff) throw new ProtocolError(`not a ZMTP peer: the greeting starts with 0x${hex(q.at(0))}, not 0xff`);
    if (q.length >= 10 && (q.at(9) & 1) !== 1) throw new ProtocolError(`not a ZMTP peer: byte 9 of the greeting is 0x${hex(q.at(9))}`);
    if (q.length >= 11 && q.at(10) < MAJOR) throw new ProtocolError(`the peer speaks ZMTP ${q.at(10)}.x; this kernel speaks 3.x`);
    if (q.length < GREETING_SIZE) return null;
    const g = q.take(GREETING_SIZE);
    this.offset += GREETING_SIZE;
    this.greeted = true;
    return { kind: "greeting", minor: g[11]!, mechanism: g.toString("latin1", 12, 32).replace(/\0+$/, "") };
  }

  /** The next complete command or message; "partial" after a frame that is not the last; null when more bytes are needed. */
  private frame(): ReaderEvent | "partial" | null {
    const q = this.queue;
    if (q.length < 2) return null;
    const flags = q.at(0);
    if (flags & ~(MORE | LONG | COMMAND)) throw new ProtocolError(`frame at offset ${this.offset}: unknown flags 0x${hex(flags)}`);
    let size: number;
    let headerSize: number;
    if (flags & LONG) {
      if (q.length < 9) return null;
      let high = 0;
      for (let i = 1; i <= 4; i++) high = high * 256 + q.at(i);
      let low = 0;
      for (let i = 5; i <= 8; i++) low = low * 256 + q.at(i);
      size = high * 2 ** 32 + low;
      headerSize = 9;
    } else {
      size = q.at(1);
      headerSize = 2;
    }
    if (size > MAX_FRAME) throw new ProtocolError(`frame at offset ${this.offset}: ${size} bytes is over the ${MAX_FRAME}-byte limit`);
    if (q.length < headerSize + size) return null;
    q.take(headerSize);
    const body = q.take(size);
    const at = this.offset;
    this.offset += headerSize + size;
    if (flags & COMMAND) {
      if (flags & MORE) throw new ProtocolError(`command at offset ${at} has the MORE flag`);
      if (this.frames.length) throw new ProtocolError(`command at offset ${at} inside a multi-frame message`);
      const nameLength = body[0];
      if (nameLength === undefined || 1 + nameLength > body.length)
        throw new ProtocolError(`command at offset ${at}: its name runs past its end`);
      return { kind: "command", name: body.toString("latin1", 1, 1 + nameLength), data: body.subarray(1 + nameLength) };
    }
    this.frames.push(body);
    if (flags & MORE) return "partial";
    const frames = this.frames;
    this.frames = [];
    return { kind: "message", frames };
  }
}

function hex(byte: number): string {
  return byte.toString(16).padStart(2, "0");
}
