// Progress events -> a display. The kernel may install a factory at
// globalThis[Symbol.for("stillroom.progress")]; without one, a one-line bar on stderr (\r updates).

export interface ProgressSink {
  update(value: number, fields: Record<string, unknown>): void;
  done(): void;
}

export type ProgressFactory = (label: string, total: number) => ProgressSink;

export const PROGRESS_HOOK = Symbol.for("stillroom.progress");

function fmt(v: unknown): string {
  if (typeof v !== "number") return String(v);
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) < 1e-2 ? v.toExponential(2) : v.toFixed(4);
}

export function terminalBar(label: string, total: number, stream: NodeJS.WriteStream = process.stderr): ProgressSink {
  let last = 0;
  const draw = (value: number, fields: Record<string, unknown>) => {
    const w = 24;
    const k = Math.round((w * Math.min(value, total)) / Math.max(1, total));
    const text = Object.entries(fields)
      .map(([a, b]) => `${a} ${fmt(b)}`)
      .join("  ");
    stream.write(`\r${label} [${"#".repeat(k)}${".".repeat(w - k)}] ${value}/${total}  ${text}\x1b[K`);
  };
  return {
    update(value, fields) {
      const now = Date.now();
      if (value < total && now - last < 100) return;
      last = now;
      draw(value, fields);
    },
    done() {
      stream.write("\n");
    },
  };
}

/** The kernel's display when installed, else a terminal bar (none when quiet). */
export function progressSink(label: string, total: number, quiet = false): ProgressSink {
  const hook = (globalThis as Record<symbol, unknown>)[PROGRESS_HOOK];
  if (typeof hook === "function") return (hook as ProgressFactory)(label, total);
  if (quiet) return { update() {}, done() {} };
  return terminalBar(label, total);
}
