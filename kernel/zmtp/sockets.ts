// The three socket patterns a Jupyter kernel binds, over Node's own TCP and Unix sockets: ROUTER
// (shell, control, stdin), PUB (iopub) and REP (heartbeat). They run on the thread that owns them,
// so a message is read and answered there, with no library thread in between.
import { unlinkSync } from "node:fs";
import { type Server, createServer } from "node:net";
import { Peer, type PeerEvents, type SocketType } from "./peer.js";

export type Frames = readonly (Buffer | string)[];

/** Says what went wrong with one connection; the socket goes on serving the others. */
export type Logger = (text: string) => void;

abstract class BoundSocket implements PeerEvents {
  protected readonly peers = new Set<Peer>();
  private server: Server | null = null;

  constructor(
    private readonly type: SocketType,
    protected readonly log: Logger,
  ) {}

  /** Listens on a ZeroMQ endpoint: tcp://host:port or ipc://path. */
  bind(endpoint: string): Promise<void> {
    const server = createServer((socket) => this.peers.add(new Peer(socket, this.type, this)));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once("error", (e) => reject(new Error(`${endpoint}: ${e.message}`)));
      const ipc = /^ipc:\/\/(.+)$/.exec(endpoint);
      const tcp = /^tcp:\/\/(.+):(\d+)$/.exec(endpoint);
      if (ipc) {
        // as libzmq does: a socket file left by a kernel that died is replaced
        try {
          unlinkSync(ipc[1]!);
        } catch {
          /* none there */
        }
        server.listen(ipc[1], () => resolve());
      } else if (tcp) server.listen(Number(tcp[2]), tcp[1] === "*" ? undefined : tcp[1]!.replace(/^\[(.*)\]$/, "$1"), () => resolve());
      else reject(new Error(`${endpoint}: not a tcp:// or ipc:// endpoint`));
    });
  }

  /** Where it listens, once bound (host and port for TCP, the path for ipc). */
  address(): ReturnType<Server["address"]> {
    return this.server?.address() ?? null;
  }

  /** Resolves once every connection has handed what was sent to the OS. */
  async flushed(): Promise<void> {
    await Promise.all([...this.peers].map((p) => p.flushed()));
  }

  close(): void {
    this.server?.close();
    for (const p of this.peers) p.close();
  }

  ready(_peer: Peer, _identity: Buffer): void {}

  abstract message(peer: Peer, frames: Buffer[]): void;

  subscription(_peer: Peer, _subscribe: boolean, _topic: Buffer): void {}

  closed(peer: Peer, why: string | null): void {
    this.peers.delete(peer);
    if (why) this.log(`${this.type} connection from ${peer.socket.remoteAddress ?? "a local socket"} dropped: ${why}`);
  }
}

/**
 * ROUTER: a message received is handed on with the peer's identity as its first frame; a message
 * sent goes to the peer its first frame names, or nowhere if that peer is gone. A peer without an
 * Identity property gets a generated one; a new peer with an identity in use takes it over (a
 * client reconnecting).
 */
export class Router extends BoundSocket {
  private readonly byIdentity = new Map<string, Peer>();
  private readonly identities = new Map<Peer, Buffer>();
  private nextId = (Math.random() * 2 ** 31) >>> 0;
  onMessage: (frames: Buffer[]) => void = () => {};

  constructor(log: Logger) {
    super("ROUTER", log);
  }

  override ready(peer: Peer, identity: Buffer): void {
    // The identity goes with every request to the main thread and every reply back, and a posted
    // Buffer takes its whole ArrayBuffer along: so it gets memory of its own, not a view of the read
    // chunk or a slice of Buffer's shared 8 KB pool (measured: 9 us a post against 77 for the pool).
    const id = Buffer.allocUnsafeSlow(identity.length || 5);
    if (identity.length) identity.copy(id);
    else {
      // as libzmq: five bytes, a zero then a counter, so it never collides with a chosen identity
      id[0] = 0;
      id.writeUInt32BE(this.nextId++ >>> 0, 1);
    }
    this.byIdentity.set(id.toString("latin1"), peer);
    this.identities.set(peer, id);
  }

  message(peer: Peer, frames: Buffer[]): void {
    const id = this.identities.get(peer);
    if (id) this.onMessage([id, ...frames]);
  }

  /** frames[0] is the identity of the peer to send to. */
  send(frames: Frames): boolean {
    const [id, ...rest] = frames;
    if (id === undefined || rest.length === 0) return false;
    const peer = this.byIdentity.get(typeof id === "string" ? id : id.toString("latin1"));
    return peer ? peer.send(rest) : false;
  }

  override closed(peer: Peer, why: string | null): void {
    const id = this.identities.get(peer);
    if (id) {
      const key = id.toString("latin1");
      if (this.byIdentity.get(key) === peer) this.byIdentity.delete(key);
      this.identities.delete(peer);
    }
    super.closed(peer, why);
  }
}

/**
 * PUB: a message goes to every peer subscribed to a prefix of its first frame. Subscriptions
 * arrive as ZMTP 3.1 commands or, from 3.0 peers, as messages whose first byte is 1 (subscribe)
 * or 0 (cancel); each is counted, as a SUB socket may subscribe to one topic twice.
 */
export class Publisher extends BoundSocket {
  private readonly topics = new Map<Peer, Map<string, number>>();

  constructor(log: Logger) {
    super("PUB", log);
  }

  message(peer: Peer, frames: Buffer[]): void {
    const first = frames[0];
    if (frames.length === 1 && first && first.length >= 1 && first[0]! <= 1) this.subscription(peer, first[0] === 1, first.subarray(1));
  }

  override subscription(peer: Peer, subscribe: boolean, topic: Buffer): void {
    const topics = this.topics.get(peer) ?? new Map<string, number>();
    this.topics.set(peer, topics);
    const key = topic.toString("latin1");
    const count = (topics.get(key) ?? 0) + (subscribe ? 1 : -1);
    if (count > 0) topics.set(key, count);
    else topics.delete(key);
  }

  send(frames: Frames): void {
    const first = frames[0] ?? "";
    const topic = typeof first === "string" ? Buffer.from(first, "utf8").toString("latin1") : first.toString("latin1");
    for (const [peer, topics] of this.topics) {
      for (const prefix of topics.keys()) {
        if (topic.startsWith(prefix)) {
          peer.send(frames);
          break;
        }
      }
    }
  }

  override closed(peer: Peer, why: string | null): void {
    this.topics.delete(peer);
    super.closed(peer, why);
  }
}

/**
 * REP for the heartbeat: every request is answered at once with its own frames, which keeps the
 * envelope (the frames up to the empty delimiter) in place. A request without the delimiter is
 * dropped, as a REP socket drops it.
 */
export class Echo extends BoundSocket {
  constructor(log: Logger) {
    super("REP", log);
  }

  message(peer: Peer, frames: Buffer[]): void {
    if (frames.some((f) => f.length === 0)) peer.send(frames);
  }
}
