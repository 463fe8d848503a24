// Where output goes. Each request runs inside a CellScope held in AsyncLocalStorage, so writes
// from timers and promises a cell started still land in that cell, even after it ends.
// Stream writes are coalesced: a cell printing 100,000 lines sends a handful of messages.
import { AsyncLocalStorage } from "node:async_hooks";
import { inspect } from "node:util";
import { log } from "./log.js";
import { type Message, newMessage } from "./wire.js";

export type OutChannel = "shell" | "control" | "iopub" | "stdin";
export type Outbox = (channel: OutChannel, msg: Message) => void;
/** Messages to send in this order; one hop to the IO thread for all of them. */
export type BatchOutbox = (messages: { channel: OutChannel; msg: Message }[]) => void;

/** How a cell's code ended, for what must be drawn one last time (progress bars). */
export type CellEnding = "ok" | "error" | "interrupted";

const FLUSH_AFTER_MS = 40;
const FLUSH_AT_CHARS = 1 << 20;
const INTERRUPTED_OUTPUT_WAIT_MS = 1000;

const topics = new Map<string, Buffer>();

/**
 * The iopub topic of a message type. Each has a buffer of its own: Buffer.from(text) is a view on
 * a shared 8 KB pool, and posting such a view to the IO thread copies the whole pool.
 */
function topic(msgType: string): Buffer {
  let buffer = topics.get(msgType);
  if (!buffer) {
    buffer = Buffer.allocUnsafeSlow(Buffer.byteLength(msgType));
    buffer.write(msgType);
    topics.set(msgType, buffer);
  }
  return buffer;
}

export class CellScope {
  /** Runs of text, in order; consecutive writes to one stream join the same run. */
  private pending: { name: "stdout" | "stderr"; parts: string[] }[] = [];
  private pendingChars = 0;
  private timer: NodeJS.Timeout | null = null;
  /** Output still being produced (a chart rendering) that the reply must wait for. */
  private readonly inFlight = new Set<Promise<unknown>>();
  /** Outputs leave in the order they were asked for, even when one takes a while to render. */
  private chain: Promise<void> = Promise.resolve();
  private chained = 0;
  /** Run once when the cell's code ends; null after that. */
  private finalisers: ((ending: CellEnding) => void)[] | null = [];
  /** Aborted when the request is interrupted: SDK loops stop, the timers it set are dropped. */
  readonly controller = new AbortController();
  /** The executor's number for the user code this request runs (0 until it runs some). */
  cell = 0;

  constructor(
    readonly parent: Message,
    private readonly outbox: Outbox,
    readonly session: string,
    /** Whether the request allowed input_request on stdin. */
    readonly allowStdin = false,
  ) {}

  /** Builds a message whose parent is this scope's request. */
  message(msgType: string, content: Record<string, unknown>, identities: Buffer[] = [topic(msgType)]): Message {
    return newMessage(msgType, content, { session: this.session, parent: this.parent.header, identities });
  }

  /** An iopub message; pending stream text goes first so order is kept. */
  publish(msgType: string, content: Record<string, unknown>): void {
    this.flush();
    this.outbox("iopub", this.message(msgType, content));
  }

  /** A reply on the request's own channel, with its identities. */
  reply(channel: OutChannel, msgType: string, content: Record<string, unknown>): void {
    this.flush();
    this.outbox(channel, this.message(msgType, content, this.parent.identities));
  }

  /**
   * Publishes `render`'s message after every output asked for before it; tracked, so the
   * reply waits for it.
   */
  inOrder<T>(render: Promise<T>, publish: (value: T) => void): Promise<void> {
    render.catch(() => {});
    this.chained++;
    const step = this.chain
      .then(() => render)
      .then(publish)
      .finally(() => this.chained--);
    this.chain = step.catch(() => {});
    return this.track(step);
  }

  write(name: "stdout" | "stderr", text: string): void {
    if (!text) return;
    if (this.chained > 0) {
      // A display is still rendering: this text comes after it.
      void this.inOrder(Promise.resolve(), () => this.write(name, text));
      return;
    }
    const last = this.pending[this.pending.length - 1];
    if (last?.name === name) last.parts.push(text);
    else this.pending.push({ name, parts: [text] });
    this.pendingChars += text.length;
    if (this.pendingChars >= FLUSH_AT_CHARS) this.flush();
    else if (!this.timer) this.timer = setTimeout(() => this.flush(), FLUSH_AFTER_MS).unref();
  }

  /** Holds the reply until `work` settles, so its output lands before idle. */
  track<T>(work: Promise<T>): Promise<T> {
    const settled = work.finally(() => this.inFlight.delete(settled));
    settled.catch(() => {});
    this.inFlight.add(settled);
    return work;
  }

  /**
   * Waits for tracked output, including output that tracked work starts while it runs. After an
   * interrupt, output still rendering gets a moment, not a veto over the reply.
   */
  async settle(): Promise<void> {
    let giveUp: Promise<void> | null = null;
    while (this.inFlight.size) {
      const all = Promise.allSettled([...this.inFlight]);
      if (!this.controller.signal.aborted) {
        await all;
        continue;
      }
      giveUp ??= new Promise((resolve) => setTimeout(resolve, INTERRUPTED_OUTPUT_WAIT_MS).unref());
      if ((await Promise.race([all.then(() => "done"), giveUp.then(() => "late")])) === "late") break;
    }
    this.flush();
  }

  /** Calls fn when the cell's code ends; not at all when it has already ended. */
  onEnd(fn: (ending: CellEnding) => void): void {
    this.finalisers?.push(fn);
  }

  /** The cell's code has ended: runs the finalisers, before the outputs settle and the reply goes. */
  end(ending: CellEnding): void {
    const finalisers = this.finalisers ?? [];
    this.finalisers = null;
    for (const fn of finalisers) {
      try {
        fn(ending);
      } catch (e) {
        log(`a cell finaliser failed: ${(e as Error).stack}`);
      }
    }
  }

  /** Promises and timers a cell makes carry its scope (see async-bookkeeping.ts); it shows as this. */
  [inspect.custom](): string {
    return "[cell context]";
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.pendingChars === 0) return;
    const runs = this.pending;
    this.pending = [];
    this.pendingChars = 0;
    for (const { name, parts } of runs) this.outbox("iopub", this.message("stream", { name, text: parts.join("") }));
  }
}

export const cellStorage = new AsyncLocalStorage<CellScope>();

let lastScope: CellScope | undefined;

/** The scope of the code now running, or the last request's when the origin is unknown. */
export function currentScope(): CellScope | undefined {
  return cellStorage.getStore() ?? lastScope;
}

export function runInScope<T>(scope: CellScope, fn: () => T): T {
  lastScope = scope;
  return cellStorage.run(scope, fn);
}
