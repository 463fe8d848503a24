import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { test } from "node:test";
import {
  DELIMITER,
  type Message,
  SignatureHistory,
  Signer,
  WireError,
  decode,
  encode,
  encodeToSend,
  newHeader,
  newMessage,
} from "../../kernel/wire.js";

const signer = new Signer("secret-key");

function message(content: Record<string, unknown> = { code: "1 + 1" }): Message {
  return {
    identities: [Buffer.from("client-a"), Buffer.from([0, 1, 2])],
    header: newHeader("execute_request", "s1"),
    parent_header: {},
    metadata: { m: 1 },
    content,
    buffers: [Buffer.from([9, 8, 7])],
  };
}

test("encode then decode returns the same message, identities and buffers included", () => {
  const original = message({ code: "const s = 'ünïcødé 😀'" });
  const decoded = decode(encode(original, signer), signer);
  assert.deepEqual(decoded.identities, original.identities);
  assert.deepEqual(decoded.header, original.header);
  assert.deepEqual(decoded.content, original.content);
  assert.deepEqual(decoded.metadata, original.metadata);
  assert.deepEqual(decoded.buffers, original.buffers);
});

test("the signature is HMAC-SHA256 over exactly the four JSON frames, hex", () => {
  const frames = encode(message(), signer);
  const at = frames.findIndex((f) => f.toString() === DELIMITER);
  const hmac = createHmac("sha256", "secret-key");
  for (const f of frames.slice(at + 2, at + 6)) hmac.update(f);
  assert.equal(frames[at + 1]!.toString(), hmac.digest("hex"));
});

test("encodeToSend gives encode's frames, non-ASCII text and binary buffers included, as strings where it can", () => {
  const original = message({ code: "const s = 'ünïcødé 😀'" });
  const frames = encodeToSend(original, signer);
  assert.deepEqual(
    frames.map((f) => (typeof f === "string" ? Buffer.from(f, "utf8") : f)),
    encode(original, signer),
  );
  assert.ok(
    frames.slice(2, 8).every((f) => typeof f === "string"),
    "delimiter, signature and JSON frames are strings",
  );
  assert.deepEqual(decode(encode(original, signer), signer).content, original.content);
});

test("a tampered frame, a missing signature or another key is rejected", () => {
  const frames = encode(message(), signer);
  const at = frames.findIndex((f) => f.toString() === DELIMITER);
  const tampered = frames.slice();
  tampered[at + 5] = Buffer.from(JSON.stringify({ code: "process.exit()" }));
  assert.throws(() => decode(tampered, signer), /signature does not match/);
  const unsigned = frames.slice();
  unsigned[at + 1] = Buffer.alloc(0);
  assert.throws(() => decode(unsigned, signer), WireError);
  assert.throws(() => decode(frames, new Signer("other-key")), /signature/);
});

test("an empty key means empty signatures, and any signature is accepted", () => {
  const open = new Signer("");
  const frames = encode(message(), open);
  const at = frames.findIndex((f) => f.toString() === DELIMITER);
  assert.equal(frames[at + 1]!.length, 0);
  assert.equal(decode(frames, open).header.msg_type, "execute_request");
});

test("malformed frames give errors that name the problem", () => {
  const frames = encode(message(), signer);
  const at = frames.findIndex((f) => f.toString() === DELIMITER);
  assert.throws(
    () =>
      decode(
        frames.filter((_, i) => i !== at),
        signer,
      ),
    /no <IDS\|MSG> delimiter/,
  );
  assert.throws(() => decode(frames.slice(0, at + 4), signer), /expected 5 frames/);
  const open = new Signer("");
  const notJson = encode(message(), open);
  notJson[at + 4] = Buffer.from("{not json");
  assert.throws(() => decode(notJson, open), /metadata frame is not JSON/);
  const array = encode(message(), open);
  array[at + 5] = Buffer.from("[1,2]");
  assert.throws(() => decode(array, open), /content frame must be a JSON object/);
  const noType = encode({ ...message(), header: { ...message().header, msg_type: 5 as unknown as string } }, open);
  assert.throws(() => decode(noType, open), /msg_type/);
});

test("unsupported signature schemes fail at construction", () => {
  assert.throws(() => new Signer("k", "rsa-sha256"), /only hmac-\* schemes/);
  assert.throws(() => new Signer("k", "hmac-nosuchdigest"));
});

test("a signature seen before is a replay and is refused; the history stays bounded", () => {
  const signer = new Signer("key");
  const history = new SignatureHistory(10);
  const msg = newMessage("execute_request", { code: "1" }, { session: "s" });
  const frames = encode(msg, signer);
  assert.equal(decode(frames, signer, history).header.msg_id, msg.header.msg_id);
  assert.throws(() => decode(frames, signer, history), /signature seen before: a replayed message/);
  for (let i = 0; i < 100; i++) decode(encode(newMessage("kernel_info_request", {}, { session: "s" }), signer), signer, history);
  assert.ok(history.size <= 10, `${history.size} signatures kept`);
  // With an empty key nothing is signed, so nothing can be told apart: no replay check.
  const open = new Signer("");
  const unsigned = encode(msg, open);
  decode(unsigned, open, history);
  decode(unsigned, open, history);
});

test("newMessage makes a reply to its parent, with the parent's header and the given identities", () => {
  const parent = newMessage("execute_request", { code: "1" }, { session: "client", username: "me" });
  const reply = newMessage(
    "execute_reply",
    { status: "ok" },
    { session: "kernel", parent: parent.header, identities: [Buffer.from("id")] },
  );
  assert.deepEqual(reply.parent_header, parent.header);
  assert.deepEqual(reply.identities, [Buffer.from("id")]);
  assert.equal(reply.header.session, "kernel");
  assert.equal(reply.header.msg_type, "execute_reply");
  assert.equal(parent.header.username, "me");
  assert.deepEqual(newMessage("status", {}, { session: "k" }).parent_header, {});
});
