// progress(iterable | total): a live progress bar, one display_data then update_display_data
// with the same id, throttled so a tight loop pays almost nothing for it. A bar is never left
// stale: a throttled update is drawn at most 100 ms later, a wrapped loop draws its last state
// however it ends, and every bar still open when its cell ends is drawn then, marked when the
// cell was interrupted.
import { randomUUID } from "node:crypto";
import { type CellEnding, type CellScope, currentScope } from "./scope.js";

const UPDATE_EVERY_MS = 100;

export interface ProgressOptions {
  total?: number;
  label?: string;
}

export class ProgressBar {
  readonly id = randomUUID();
  value = 0;
  private readonly started = performance.now();
  private lastDraw = 0;
  private fields: Record<string, unknown> = {};
  private readonly scope: CellScope | undefined;
  private shown = false;
  /** A draw that the throttle put off. */
  private trailing: NodeJS.Timeout | null = null;
  private finished = false;
  private interrupted = false;

  constructor(
    readonly total: number | undefined,
    readonly label = "",
  ) {
    this.scope = currentScope();
    this.scope?.onEnd((ending) => this.cellEnded(ending));
    this.draw();
  }

  /** Advances by n and redraws at most every 100 ms. */
  tick(n = 1, fields?: Record<string, unknown>): void {
    this.update(this.value + n, fields);
  }

  update(value: number, fields?: Record<string, unknown>): void {
    this.value = value;
    if (fields) this.fields = { ...this.fields, ...fields };
    if (this.interrupted) return;
    const wait = UPDATE_EVERY_MS - (performance.now() - this.lastDraw);
    if (wait <= 0) this.draw();
    else this.trailing ??= setTimeout(() => this.draw(), wait).unref();
  }

  /** Extra values shown after the bar (loss, accuracy). */
  set(fields: Record<string, unknown>): void {
    this.update(this.value, fields);
  }

  /** Draws the final state now; a terminal bar ends its line. */
  done(): void {
    if (this.finished || this.interrupted) return;
    this.finished = true;
    this.draw();
    if (!this.scope) process.stderr.write("\n");
  }

  /**
   * Draws the state now, for a loop left early (break, throw, interrupt). In a cell the bar
   * stays open until the cell ends, which marks it if the cell was interrupted.
   */
  stop(): void {
    if (this.scope) {
      if (!this.finished && !this.interrupted) this.draw();
    } else this.done();
  }

  text(): string {
    const elapsed = (performance.now() - this.started) / 1000;
    const rate = elapsed > 0 ? this.value / elapsed : 0;
    const extras = Object.entries(this.fields)
      .map(([k, v]) => ` ${k}=${typeof v === "number" ? formatNumber(v) : String(v)}`)
      .join("");
    const label = this.label ? `${this.label} ` : "";
    const stop = this.interrupted ? " interrupted" : "";
    if (this.total === undefined) return `${label}${this.value} it ${formatSeconds(elapsed)} ${formatNumber(rate)} it/s${extras}${stop}`;
    const fraction = this.total > 0 ? Math.min(1, this.value / this.total) : 1;
    const width = 30;
    const filled = Math.round(fraction * width);
    const eta = this.interrupted ? NaN : rate > 0 ? (this.total - this.value) / rate : NaN;
    return `${label}${(fraction * 100).toFixed(0).padStart(3)}% |${"█".repeat(filled)}${" ".repeat(width - filled)}| ${this.value}/${this.total} [${formatSeconds(elapsed)}<${formatSeconds(eta)}, ${formatNumber(rate)} it/s]${extras}${stop}`;
  }

  private html(): string {
    const pct = this.total ? Math.min(100, (100 * this.value) / this.total) : 0;
    const text = escapeHtml(this.text().replace(/\|[█ ]*\|/, ""));
    const colour = this.interrupted ? ";accent-color:#c0392b" : "";
    return `<div style="font-family:monospace;display:flex;gap:8px;align-items:center"><progress value="${pct.toFixed(1)}" max="100" style="width:240px${colour}"></progress><span>${text}</span></div>`;
  }

  /**
   * The cell that made this bar has ended. Whatever the last tick left is drawn now (the loop
   * may be over, or still running from a timer, which goes on drawing); an unfinished bar of an
   * interrupted cell says so and stops there.
   */
  private cellEnded(ending: CellEnding): void {
    if (this.finished) return;
    if (ending === "interrupted") this.interrupted = true;
    this.draw();
  }

  private draw(): void {
    if (this.trailing) clearTimeout(this.trailing);
    this.trailing = null;
    this.lastDraw = performance.now();
    if (!this.scope) {
      process.stderr.write(`\r${this.text()}`);
      return;
    }
    const data = { "text/plain": this.text(), "text/html": this.html() };
    this.scope.publish(this.shown ? "update_display_data" : "display_data", {
      data,
      metadata: {},
      transient: { display_id: this.id },
    });
    this.shown = true;
  }
}

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return "?";
  const m = Math.floor(s / 60);
  const sec = Math.floor(s % 60);
  return `${String(m).padStart(2, "0")}:${String(sec).padStart(2, "0")}`;
}

function formatNumber(v: number): string {
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(3);
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);
}

type Source<T> = Iterable<T> | AsyncIterable<T>;

function sizeOf(source: unknown): number | undefined {
  const s = source as { length?: unknown; size?: unknown };
  if (typeof s.length === "number") return s.length;
  if (typeof s.size === "number") return s.size;
  return undefined;
}

// The loop's body runs at the yield: an item counts once its body is done, so a loop that
// breaks or throws at item i leaves the bar at i. The finally runs however the loop ends.
function* wrapSync<T>(source: Iterable<T>, bar: ProgressBar): Generator<T> {
  let ranOut = false;
  try {
    for (const item of source) {
      yield item;
      bar.tick();
    }
    ranOut = true;
  } finally {
    if (ranOut) bar.done();
    else bar.stop();
  }
}

async function* wrapAsync<T>(source: AsyncIterable<T>, bar: ProgressBar): AsyncGenerator<T> {
  let ranOut = false;
  try {
    for await (const item of source) {
      yield item;
      bar.tick();
    }
    ranOut = true;
  } finally {
    if (ranOut) bar.done();
    else bar.stop();
  }
}

/**
 * `for (const x of progress(items))` shows a bar over any iterable (sync or async);
 * `progress(total)` returns a bar to tick by hand.
 */
export function progress(total: number, options?: ProgressOptions): ProgressBar;
export function progress<T>(source: Iterable<T>, options?: ProgressOptions): Iterable<T> & { bar: ProgressBar };
export function progress<T>(source: AsyncIterable<T>, options?: ProgressOptions): AsyncIterable<T> & { bar: ProgressBar };
export function progress<T>(source: number | Source<T>, options: ProgressOptions = {}): unknown {
  if (typeof source === "number") {
    if (!(source >= 0)) throw new RangeError(`progress(total): total must be a number >= 0, got ${source}`);
    return new ProgressBar(source, options.label);
  }
  const bar = new ProgressBar(options.total ?? sizeOf(source), options.label);
  if (source && typeof (source as Iterable<T>)[Symbol.iterator] === "function")
    return Object.assign(wrapSync(source as Iterable<T>, bar), { bar });
  if (source && typeof (source as AsyncIterable<T>)[Symbol.asyncIterator] === "function")
    return Object.assign(wrapAsync(source as AsyncIterable<T>, bar), { bar });
  throw new TypeError("progress(): expected an iterable, an async iterable or a total count");
}
