// ZMTP 3.1 (rfc.zeromq.org/spec/37) on the wire: the greeting, frames, and the commands a NULL
// security handshake needs. Encoding only; reader.ts parses the other direction.

/** The greeting is 64 bytes: signature (10), version (2), mechanism (20), as-server (1), filler (31). */
export const GREETING_SIZE = 64;
export const MAJOR = 3;
export const MINOR = 1;

/** Frame flags (the first byte of every frame). */
export const MORE = 0x01;
export const LONG = 0x02;
export const COMMAND = 0x04;

/** A frame body larger than this is a protocol error, not an allocation (the kernel never sends one). */
export const MAX_FRAME = 2 ** 31 - 1;

/** Our greeting: the ZMTP 1.0-compatible signature, version 3.1, the NULL mechanism, not a server. */
export function greeting(): Buffer {
  const g = Buffer.alloc(GREETING_SIZE);
  g[0] = 0xff;
  // padding: a ZMTP 1.0 peer reads it as the length of an empty identity + 1
  g[8] = 0x01;
  g[9] = 0x7f;
  g[10] = MAJOR;
  g[11] = MINOR;
  g.write("NULL", 12, "latin1");
  return g;
}

/** A frame's header: the flags, then the body size in one byte, or in eight (and LONG) when over 255. */
function headerSize(size: number): number {
  return size <= 255 ? 2 : 9;
}

/** Writes a frame's header at `at`; returns where its body goes. */
function writeHeader(out: Buffer, at: number, flags: number, size: number): number {
  if (size <= 255) {
    out[at] = flags;
    out[at + 1] = size;
    return at + 2;
  }
  out[at] = flags | LONG;
  out.writeBigUInt64BE(BigInt(size), at + 1);
  return at + 9;
}

function header(flags: number, size: number): Buffer {
  const h = Buffer.allocUnsafe(headerSize(size));
  writeHeader(h, 0, flags, size);
  return h;
}

/** Bodies up to this size are copied into one buffer with their headers: one write a message. */
const GATHER_LIMIT = 64 * 1024;

/**
 * The bytes of one message: each frame with MORE set but the last. Small messages come back as one
 * buffer; a large frame is left as its own piece, so a megabyte image is not copied again.
 */
export function encodeMessage(frames: readonly (Buffer | string)[]): Buffer[] {
  const bodies = frames.map((f) => (typeof f === "string" ? Buffer.from(f, "utf8") : f));
  const flagsOf = (i: number) => (i < bodies.length - 1 ? MORE : 0);
  const total = bodies.reduce((n, b) => n + headerSize(b.length) + b.length, 0);
  if (total > GATHER_LIMIT) return bodies.flatMap((b, i) => [header(flagsOf(i), b.length), b]);
  const out = Buffer.allocUnsafe(total);
  let at = 0;
  bodies.forEach((b, i) => {
    at = writeHeader(out, at, flagsOf(i), b.length);
    at += b.copy(out, at);
  });
  return [out];
}

/** A command frame: its name (one length byte, then the name) and its data. */
export function encodeCommand(name: string, data: Buffer = Buffer.alloc(0)): Buffer {
  const body = Buffer.concat([Buffer.from([name.length]), Buffer.from(name, "latin1"), data]);
  return Buffer.concat([header(COMMAND, body.length), body]);
}

/** READY's metadata: each property a one-byte name length, the name, a four-byte value length, the value. */
export function encodeProperties(props: Record<string, string | Buffer>): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(props)) {
    const v = typeof value === "string" ? Buffer.from(value, "latin1") : value;
    const len = Buffer.allocUnsafe(4);
    len.writeUInt32BE(v.length);
    parts.push(Buffer.from([name.length]), Buffer.from(name, "latin1"), len, v);
  }
  return Buffer.concat(parts);
}

/** Parses READY's metadata; names are case-insensitive (the spec), so they come back lower-cased. */
export function decodeProperties(data: Buffer): Map<string, Buffer> {
  const props = new Map<string, Buffer>();
  let at = 0;
  while (at < data.length) {
    const nameLength = data[at]!;
    if (at + 1 + nameLength + 4 > data.length) throw new Error(`READY metadata: a property name runs past the end at offset ${at}`);
    const name = data.toString("latin1", at + 1, at + 1 + nameLength).toLowerCase();
    at += 1 + nameLength;
    const valueLength = data.readUInt32BE(at);
    at += 4;
    if (at + valueLength > data.length) throw new Error(`READY metadata: the value of ${name} runs past the end at offset ${at}`);
    props.set(name, data.subarray(at, at + valueLength));
    at += valueLength;
  }
  return props;
}
