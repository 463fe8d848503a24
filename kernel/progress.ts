// progress(iterable | total): a live progress bar, one display_data then update_display_data
// with the same id, throttled so a tight loop pays almost nothing for it.
import { randomUUID } from "node:crypto";
import { type CellScope, currentScope } from "./scope.js";

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

  constructor(
    readonly total: number | undefined,
    readonly label = "",
  ) {
    this.scope = currentScope();
    this.draw(true);
  }

  /** Advances by n and redraws at most every 100 ms. */
  tick(n = 1, fields?: Record<string, unknown>): void {
    this.update(this.value + n, fields);
  }

  update(value: number, fields?: Record<string, unknown>): void {
    this.value = value;
    if (fields) this.fields = { ...this.fields, ...fields };
    if (performance.now() - this.lastDraw >= UPDATE_EVERY_MS) this.draw(false);
  }

  /** Extra values shown after the bar (loss, accuracy). */
  set(fields: Record<string, unknown>): void {
    this.update(this.value, fields);
  }

  done(): void {
    this.draw(false);
  }

  text(): string {
    const elapsed = (performance.now() - this.started) / 1000;
    const rate = elapsed > 0 ? this.value / elapsed : 0;
    const extras = Object.entries(this.fields)
      .map(([k, v]) => ` ${k}=${typeof v === "number" ? formatNumber(v) : String(v)}`)
      .join("");
    const label = this.label ? `${this.label} ` : "";
    if (this.total === undefined) return `${label}${this.value} it ${formatSeconds(elapsed)} ${formatNumber(rate)} it/s${extras}`;
    const fraction = this.total > 0 ? Math.min(1, this.value / this.total) : 1;
    const width = 30;
    const filled = Math.round(fraction * width);
    const eta = rate > 0 ? (this.total - this.value) / rate : NaN;
    return `${label}${(fraction * 100).toFixed(0).padStart(3)}% |${"█".repeat(filled)}${" ".repeat(width - filled)}| ${this.value}/${this.total} [${formatSeconds(elapsed)}<${formatSeconds(eta)}, ${formatNumber(rate)} it/s]${extras}`;
  }

  private html(): string {
    const pct = this.total ? Math.min(100, (100 * this.value) / this.total) : 0;
    const text = escapeHtml(this.text().replace(/\|[█ ]*\|/, ""));
    return `<div style="font-family:monospace;display:flex;gap:8px;align-items:center"><progress value="${pct.toFixed(1)}" max="100" style="width:240px"></progress><span>${text}</span></div>`;
  }

  private draw(first: boolean): void {
    this.lastDraw = performance.now();
    if (!this.scope) {
      process.stderr.write(`\r${this.text()}`);
      return;
    }
    const data = { "text/plain": this.text(), "text/html": this.html() };
    this.scope.publish(first || !this.shown ? "display_data" : "update_display_data", {
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

function* wrapSync<T>(source: Iterable<T>, bar: ProgressBar): Generator<T> {
  for (const item of source) {
    yield item;
    bar.tick();
  }
  bar.done();
}

async function* wrapAsync<T>(source: AsyncIterable<T>, bar: ProgressBar): AsyncGenerator<T> {
  for await (const item of source) {
    yield item;
    bar.tick();
  }
  bar.done();
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
