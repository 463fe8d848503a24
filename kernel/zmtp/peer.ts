// One accepted ZMTP connection: the greeting and NULL handshake (READY both ways, socket types
// checked), then commands (PING, SUBSCRIBE, CANCEL, ERROR) handled here and messages handed on.
import type { Socket } from "node:net";
import { encodeCommand, encodeMessage, encodeProperties, greeting, decodeProperties } from "./codec.js";
import { ProtocolError, ZmtpReader } from "./reader.js";

export type SocketType = "ROUTER" | "PUB" | "REP";

/** Peer socket types each of ours accepts (the spec's compatibility table, limited to ours). */
const PEERS: Record<SocketType, readonly string[]> = {
  ROUTER: ["DEALER", "REQ", "ROUTER"],
  PUB: ["SUB", "XSUB"],
  REP: ["REQ", "DEALER"],
};

export interface PeerEvents {
  /** the handshake is done; `identity` is the peer's Identity property (empty when it has none) */
  ready(peer: Peer, identity: Buffer): void;
  message(peer: Peer, frames: Buffer[]): void;
  /** ZMTP 3.1's SUBSCRIBE and CANCEL commands */
  subscription(peer: Peer, subscribe: boolean, topic: Buffer): void;
  /** the connection is gone; `why` says why when it was a protocol error */
  closed(peer: Peer, why: string | null): void;
}

export class Peer {
  private readonly reader = new ZmtpReader();
  private handshaken = false;
  private gone = false;
  private corked = false;

  constructor(
    readonly socket: Socket,
    private readonly type: SocketType,
    private readonly events: PeerEvents,
  ) {
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.receive(chunk));
    socket.on("error", () => {}); // a reset peer: "close" follows and says the rest
    socket.on("close", () => this.end(null));
    socket.write(Buffer.concat([greeting(), encodeCommand("READY", encodeProperties({ "Socket-Type": type }))]));
  }

  /**
   * Sends one message (identity frames already removed). False when the peer is gone or not ready.
   * What is sent in one turn of the event loop leaves in one write (busy and execute_input, or a
   * cell's result and idle): fewer packets, and fewer wake-ups of the client's I/O thread.
   */
  send(frames: readonly (Buffer | string)[]): boolean {
    if (this.gone || !this.handshaken) return false;
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    for (const piece of encodeMessage(frames)) this.socket.write(piece);
    return true;
  }

  /** Resolves once everything written so far has been handed to the OS (or the peer is gone). */
  flushed(): Promise<void> {
    if (this.gone || (this.socket.writableLength === 0 && !this.corked)) return Promise.resolve();
    // writes complete in order: an empty one completes after everything before it
    return new Promise((resolve) => {
      this.socket.write(Buffer.alloc(0), () => resolve());
      this.socket.once("close", () => resolve());
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private receive(chunk: Buffer): void {
    try {
      for (const event of this.reader.push(chunk)) {
        if (this.gone) return;
        if (event.kind === "greeting") {
          if (event.mechanism !== "NULL") throw new ProtocolError(`security mechanism ${event.mechanism} is not supported (NULL only)`);
        } else if (event.kind === "command") this.command(event.name, event.data);
        else if (!this.handshaken) throw new ProtocolError("a message before the READY command");
        else this.events.message(this, event.frames);
      }
    } catch (e) {
      this.fail(e instanceof Error ? e.message : String(e));
    }
  }

  private command(name: string, data: Buffer): void {
    if (name === "READY") {
      if (this.handshaken) throw new ProtocolError("a second READY command");
      const props = decodeProperties(data);
      const peerType = props.get("socket-type")?.toString("latin1") ?? "(none)";
      if (!PEERS[this.type].includes(peerType)) throw new ProtocolError(`a ${peerType} socket cannot talk to a ${this.type} socket`);
      this.handshaken = true;
      this.events.ready(this, props.get("identity") ?? Buffer.alloc(0));
    } else if (!this.handshaken) {
      throw new ProtocolError(`${name} command before READY`);
    } else if (name === "PING") {
      // PING: a two-byte TTL, then up to 16 bytes of context for the PONG to echo.
      this.socket.write(encodeCommand("PONG", data.subarray(2, 18)));
    } else if (name === "SUBSCRIBE" || name === "CANCEL") {
      this.events.subscription(this, name === "SUBSCRIBE", data);
    } else if (name === "ERROR") {
      const reason = data.toString("latin1", 1, 1 + (data[0] ?? 0));
      this.end(`the peer reported an error: ${reason}`);
      this.socket.destroy();
    }
    // other commands (PONG, and any a later minor version adds) need nothing from us
  }

  /** A protocol error: tell the peer (ERROR, as the spec asks), then drop the connection. */
  private fail(why: string): void {
    if (this.gone) return;
    const reason = Buffer.from(why.slice(0, 255), "latin1");
    this.socket.end(encodeCommand("ERROR", Buffer.concat([Buffer.from([reason.length]), reason])));
    this.end(why);
    // a peer that never closes its side must not hold the connection open
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  private end(why: string | null): void {
    if (this.gone) return;
    this.gone = true;
    this.events.closed(this, why);
  }
}
