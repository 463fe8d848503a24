// The command line's grammar. Each command declares its flags once; the same declaration parses
// the arguments, refuses what it does not know (a UsageError: exit 2, naming the flag) and prints
// `--help`. Nothing is guessed: an unknown flag is never taken for a known one.

/**
 * A mistake in the command line itself (exit 2), as opposed to a failure while working (exit 1).
 * Its message starts with the command it is about: "stillroom run: ...".
 */
export class UsageError extends Error {}

export interface Flag {
  name: string;
  /** What the value is called in the help (`SECONDS`); absent for a flag that takes no value. */
  value?: string;
  /** The values allowed, if a fixed few. */
  choices?: readonly string[];
  /** Throws an Error naming the problem when the value is not acceptable. */
  check?: (value: string) => void;
  help: string;
}

export interface Command {
  name: string;
  /** The positional arguments as the usage line shows them. */
  args: string;
  /** How many positional arguments it takes. */
  positional: number;
  summary: string;
  flags: Flag[];
  /** Paragraphs after the flags in --help. */
  notes?: string;
}

export interface ParsedArgs {
  positional: string[];
  /** By flag name: the value, or true for a flag that takes none. */
  flags: Map<string, string | true>;
  /** --help or -h was given: nothing else was checked. */
  help: boolean;
}

const HELP: Flag = { name: "help", help: "show this help and exit" };

function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length]!;
}

/** The known flag closest to a mistyped one, if it is close enough to be what was meant. */
function suggestion(name: string, flags: Flag[]): string {
  let best = "";
  let bestDistance = Math.max(2, Math.floor(name.length / 3)) + 1;
  for (const f of flags) {
    // A flag cut short or run on (--out for --outdir) is as good as one letter off.
    const d = name.startsWith(f.name) || f.name.startsWith(name) ? 1 : distance(name, f.name);
    if (d < bestDistance) [best, bestDistance] = [f.name, d];
  }
  return best ? ` (did you mean --${best}?)` : "";
}

export function parseArgs(command: Command, args: string[]): ParsedArgs {
  const where = `stillroom ${command.name}`;
  if (args.includes("--help") || args.includes("-h")) return { positional: [], flags: new Map(), help: true };
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") {
      positional.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = arg.startsWith("--") ? arg.slice(2, eq < 0 ? undefined : eq) : arg;
    const flag = arg.startsWith("--") ? command.flags.find((f) => f.name === name) : undefined;
    if (!flag) throw new UsageError(`${where}: unknown flag ${arg.startsWith("--") ? `--${name}` : arg}${suggestion(name, command.flags)}`);
    if (flags.has(flag.name)) throw new UsageError(`${where}: --${flag.name} is given twice`);
    if (!flag.value) {
      if (eq >= 0) throw new UsageError(`${where}: --${flag.name} takes no value`);
      flags.set(flag.name, true);
      continue;
    }
    const value = eq >= 0 ? arg.slice(eq + 1) : args[++i];
    if (value === undefined || (eq < 0 && value.startsWith("--")))
      throw new UsageError(`${where}: --${flag.name} needs a value (${flag.value})`);
    if (flag.choices && !flag.choices.includes(value))
      throw new UsageError(`${where}: --${flag.name} ${JSON.stringify(value)}: expected one of ${flag.choices.join(", ")}`);
    try {
      flag.check?.(value);
    } catch (e) {
      throw new UsageError(`${where}: ${(e as Error).message}`);
    }
    flags.set(flag.name, value);
  }
  if (positional.length !== command.positional) {
    const expected = `expected ${command.args}`;
    throw new UsageError(
      positional.length > command.positional
        ? `${where}: unexpected argument ${JSON.stringify(positional[command.positional])}; ${expected}`
        : `${where}: ${expected}`,
    );
  }
  return { positional, flags, help: false };
}

function columns(rows: [string, string][]): string {
  const width = Math.max(...rows.map(([left]) => left.length)) + 2;
  return rows.map(([left, right]) => `  ${left.padEnd(width)}${right}`).join("\n");
}

export function commandHelp(command: Command): string {
  const flagRows: [string, string][] = [...command.flags, HELP].map((f) => [
    `${f.name === "help" ? "-h, " : ""}--${f.name}${f.value ? ` ${f.value}` : ""}`,
    f.help,
  ]);
  const parts = [`usage: stillroom ${command.name} ${command.args} [options]`, command.summary, `options:\n${columns(flagRows)}`];
  if (command.notes) parts.push(command.notes);
  return `${parts.join("\n\n")}\n`;
}

export function programHelp(commands: Command[]): string {
  const rows: [string, string][] = commands.map((c) => [`${c.name} ${c.args}`, c.summary.split("\n")[0]!]);
  return `usage: stillroom <command> [options]\n\ncommands:\n${columns(rows)}\n\n  stillroom <command> --help   the command's flags\n  stillroom --version          the package version\n`;
}
