// The kernel's ZMTP sockets against libzmq (zeromq.js, the library Jupyter's own clients use) and
// against bytes written by hand: framing, the handshake, routing, subscriptions, and bad peers.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { type Socket, connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import * as zmq from "zeromq";
import { encodeCommand, encodeMessage, encodeProperties, greeting } from "../../kernel/zmtp/codec.js";
import { ZmtpReader } from "../../kernel/zmtp/reader.js";
import { Echo, Publisher, Router } from "../../kernel/zmtp/sockets.js";

const HOST = "127.0.0.1";

async function bound<T extends Router | Publisher | Echo>(
  make: (log: (t: string) => void) => T,
): Promise<{ socket: T; url: string; logs: string[] }> {
  const logs: string[] = [];
  const socket = make((t) => logs.push(t));
  await socket.bind(`tcp://${HOST}:0`);
  const { port } = socket.address() as { port: number };
  return { socket, url: `tcp://${HOST}:${port}`, logs };
}

function nextMessage(router: Router): Promise<Buffer[]> {
  return new Promise((resolve) => {
    router.onMessage = resolve;
  });
}

/** Sends `text` from the dealer and checks that the router hands it on under `identity`. */
async function expectRouted(router: Router, dealer: zmq.Dealer, text: string, identity: string): Promise<void> {
  const got = nextMessage(router);
  await dealer.send(text);
  assert.deepEqual(
    (await got).map((f) => f.toString()),
    [identity, text],
  );
}

/** Runs `body`, then closes the sockets, whatever happens. */
async function closing(sockets: { close(): void }[], body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } finally {
    for (const s of sockets) s.close();
  }
}

async function until(condition: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

test("frames survive the round trip through the reader, fed one byte at a time", () => {
  const big = Buffer.alloc(70_000, 7); // over the gather limit: sent as its own piece
  const messages = [["a"], ["", "x".repeat(255), "y".repeat(256)], [big, "tail"]];
  const bytes = Buffer.concat([
    greeting(),
    encodeCommand("READY", encodeProperties({ "Socket-Type": "DEALER" })),
    ...messages.flatMap((m) => encodeMessage(m)),
  ]);
  const reader = new ZmtpReader();
  const events = [];
  for (let i = 0; i < bytes.length; i++) events.push(...reader.push(bytes.subarray(i, i + 1)));
  assert.deepEqual(events[0], { kind: "greeting", minor: 1, mechanism: "NULL" });
  assert.equal(events[1]!.kind, "command");
  const got = events.slice(2).map((e) => (e.kind === "message" ? e.frames.map((f) => f.toString("latin1")) : e.kind));
  assert.deepEqual(
    got,
    messages.map((m) => m.map((f) => (typeof f === "string" ? f : f.toString("latin1")))),
  );
});

test("the reader names what is wrong with a stream and where", () => {
  const cases: [Buffer, RegExp][] = [
    [Buffer.from("GET / HTTP/1.1\r\n"), /not a ZMTP peer: the greeting starts with 0x47/],
    [Buffer.concat([greeting().subarray(0, 10), Buffer.from([2])]), /speaks ZMTP 2\.x/],
    [Buffer.concat([greeting(), Buffer.from([0x10, 0])]), /frame at offset 64: unknown flags 0x10/],
    [Buffer.concat([greeting(), Buffer.from([0x02, 0, 0, 0, 1, 0, 0, 0, 0])]), /frame at offset 64: 4294967296 bytes is over/],
    [Buffer.concat([greeting(), Buffer.from([0x05, 1, 0])]), /command at offset 64 has the MORE flag/],
    [Buffer.concat([greeting(), Buffer.from([0x04, 1, 9])]), /command at offset 64: its name runs past its end/],
  ];
  for (const [bytes, error] of cases) assert.throws(() => new ZmtpReader().push(bytes), error);
});

test("ROUTER: libzmq dealers' messages arrive with their identities, and replies go back to each", async () => {
  const { socket: router, url } = await bound((log) => new Router(log));
  const named = new zmq.Dealer({ routingId: "client-a", linger: 0 });
  const anonymous = new zmq.Dealer({ linger: 0 });
  await closing([named, anonymous, router], async () => {
    named.connect(url);
    anonymous.connect(url);
    let got = nextMessage(router);
    await named.send(["hello", "world"]);
    const [id, ...rest] = await got;
    assert.equal(id!.toString(), "client-a");
    assert.deepEqual(
      rest.map((f) => f.toString()),
      ["hello", "world"],
    );
    got = nextMessage(router);
    await anonymous.send("second");
    const [generated] = await got;
    assert.equal(generated!.length, 5, "a generated identity is five bytes");
    assert.equal(generated![0], 0, "and starts with a zero byte");
    for (const identity of [id!, generated!])
      assert.equal(identity.buffer.byteLength, identity.length, "an identity owns its memory (posting it copies no more)");

    assert.equal(router.send([generated!, "to anonymous"]), true);
    assert.equal(router.send(["client-a", "to a", Buffer.alloc(100_000, 1)]), true);
    assert.equal(router.send(["nobody", "dropped"]), false, "an unknown identity is dropped, as ROUTER does");
    const [toAnon] = await anonymous.receive();
    assert.equal(toAnon!.toString(), "to anonymous");
    const toA = await named.receive();
    assert.equal(toA[0]!.toString(), "to a");
    assert.equal(toA[1]!.length, 100_000);
  });
});

test("PUB: a libzmq subscriber gets the topics it subscribed to, and only those", async () => {
  const { socket: pub, url } = await bound((log) => new Publisher(log));
  const sub = new zmq.Subscriber({ linger: 0 });
  await closing([sub, pub], async () => {
    sub.connect(url);
    sub.subscribe("kernel.");
    // a subscription travels as a message of its own; publish until it has landed
    await until(() => {
      pub.send(["probe.x", "dropped"]);
      pub.send(["kernel.ready", "ping"]);
      return (pub as unknown as { topics: Map<unknown, Map<string, number>> }).topics.size > 0;
    }, "the subscription");
    pub.send(["other.topic", "not for it"]);
    pub.send(["kernel.status", "for it"]);
    const seen: string[] = [];
    while (!seen.includes("for it")) seen.push((await sub.receive())[1]!.toString());
    assert.ok(!seen.includes("not for it") && !seen.includes("dropped"), `received ${seen.join(", ")}`);
  });
});

test("REP: a libzmq REQ socket's request is echoed; the heartbeat keeps its envelope", async () => {
  const { socket: echo, url } = await bound((log) => new Echo(log));
  const req = new zmq.Request({ linger: 0 });
  await closing([req, echo], async () => {
    req.connect(url);
    for (const payload of ["ping", "again"]) {
      await req.send(payload);
      const [reply] = await req.receive();
      assert.equal(reply!.toString(), payload);
    }
  });
});

test("a peer that is not ZMTP is dropped with a reason, and the socket goes on serving", async () => {
  const { socket: router, url, logs } = await bound((log) => new Router(log));
  const port = Number(url.split(":").pop());
  const raw: Socket = connect(port, HOST);
  const dealer = new zmq.Dealer({ routingId: "after", linger: 0 });
  try {
    const closed = new Promise<void>((resolve) => raw.on("close", () => resolve()));
    raw.on("error", () => {});
    raw.resume(); // read what comes (the ERROR command), so that the end of the stream is seen
    raw.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    await closed;
    assert.match(logs.join("\n"), /ROUTER connection from .* dropped: not a ZMTP peer/);

    // a ZMTP peer with the wrong socket type is refused in the handshake
    const pubPeer: Socket = connect(port, HOST);
    pubPeer.on("error", () => {});
    pubPeer.resume();
    const refused = new Promise<void>((resolve) => pubPeer.on("close", () => resolve()));
    pubPeer.write(Buffer.concat([greeting(), encodeCommand("READY", encodeProperties({ "Socket-Type": "PUB" }))]));
    await refused;
    assert.match(logs.join("\n"), /a PUB socket cannot talk to a ROUTER socket/);

    dealer.connect(url);
    await expectRouted(router, dealer, "still here", "after");
  } finally {
    raw.destroy();
    dealer.close();
    router.close();
  }
});

test("a PING command is answered with a PONG carrying its context", async () => {
  const { socket: router, url } = await bound((log) => new Router(log));
  const port = Number(url.split(":").pop());
  const peer: Socket = connect(port, HOST);
  try {
    const reader = new ZmtpReader();
    const events: ReturnType<ZmtpReader["push"]> = [];
    peer.on("data", (chunk: Buffer) => events.push(...reader.push(chunk)));
    peer.write(
      Buffer.concat([
        greeting(),
        encodeCommand("READY", encodeProperties({ "Socket-Type": "DEALER" })),
        encodeCommand("PING", Buffer.from([0, 10, ...Buffer.from("ctx")])),
      ]),
    );
    await until(() => events.some((e) => e.kind === "command" && e.name === "PONG"), "the PONG");
    const pong = events.find((e) => e.kind === "command" && e.name === "PONG");
    assert.equal(pong?.kind === "command" && pong.data.toString(), "ctx");
  } finally {
    peer.destroy();
    router.close();
  }
});

test("ipc endpoints: a Unix socket, replacing a file a dead kernel left there", async () => {
  const dir = mkdtempSync(join(tmpdir(), "stillroom-ipc-"));
  const path = join(dir, "kernel-1");
  writeFileSync(path, "left behind");
  const router = new Router(() => {});
  const dealer = new zmq.Dealer({ routingId: "ipc-client", linger: 0 });
  try {
    await router.bind(`ipc://${path}`);
    dealer.connect(`ipc://${path}`);
    await expectRouted(router, dealer, "over ipc", "ipc-client");
  } finally {
    dealer.close();
    router.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
