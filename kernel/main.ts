#!/usr/bin/env node
// CLI: `stillroom kernel <connection-file>`, `stillroom install`, `stillroom run`.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { readConnectionFile } from "./connection.js";
import type { TypecheckMode } from "./handler.js";

const USAGE = `usage:
  stillroom kernel <connection-file> [--typecheck off|warn|strict]
  stillroom install [--user | --sys-prefix | --prefix DIR] [--name NAME] [--display-name TEXT]
  stillroom run <notebook.ipynb | folder> [--out DIR] [--timeout SECONDS]`;

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(fileURLToPath(new URL("../../package.json", import.meta.url)), "utf8"));
  return String(pkg.version);
}

/** Parses `--flag value` and `--flag` options after the positional arguments. */
export function parseFlags(args: string[], valued: string[]): { positional: string[]; flags: Record<string, string | true> } {
  const positional: string[] = [];
  const flags: Record<string, string | true> = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith("--")) {
      positional.push(a);
      continue;
    }
    const [name, inline] = a.slice(2).split("=", 2) as [string, string | undefined];
    if (valued.includes(name)) {
      const value = inline ?? args[++i];
      if (value === undefined) throw new Error(`--${name} needs a value`);
      flags[name] = value;
    } else flags[name] = true;
  }
  return { positional, flags };
}

/** A positive number of seconds; anything else is refused, never taken as "no limit". */
export function seconds(flag: string, value: string | true): number {
  const n = typeof value === "string" && value.trim() !== "" ? Number(value) : Number.NaN;
  if (!Number.isFinite(n) || n <= 0)
    throw new Error(`${flag} ${value === true ? "" : JSON.stringify(value)}: expected a number of seconds > 0`);
  return n;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case "kernel": {
      const { positional, flags } = parseFlags(rest, ["typecheck"]);
      if (positional.length !== 1) throw new Error(`kernel: expected one connection file\n${USAGE}`);
      const mode = (flags.typecheck ?? process.env.STILLROOM_TYPECHECK ?? "warn") as TypecheckMode;
      if (!["off", "warn", "strict"].includes(mode)) throw new Error(`--typecheck must be off, warn or strict, got ${mode}`);
      const { startKernel } = await import("./server.js");
      await startKernel({
        connection: readConnectionFile(positional[0]!),
        version: packageVersion(),
        typecheck: mode,
        language: mode === "off" ? undefined : async () => (await import("./language/client.js")).startLanguageService(),
      });
      return -1; // keep running
    }
    case "install": {
      const { positional, flags } = parseFlags(rest, ["prefix", "name", "display-name"]);
      if (positional.length) throw new Error(`install: unexpected argument ${positional[0]}\n${USAGE}`);
      const { installKernelspec } = await import("./install.js");
      const dir = installKernelspec({
        user: Boolean(flags.user),
        sysPrefix: Boolean(flags["sys-prefix"]),
        prefix: typeof flags.prefix === "string" ? flags.prefix : undefined,
        name: typeof flags.name === "string" ? flags.name : undefined,
        displayName: typeof flags["display-name"] === "string" ? flags["display-name"] : undefined,
      });
      console.log(`installed kernelspec in ${dir}`);
      return 0;
    }
    case "run": {
      const { positional, flags } = parseFlags(rest, ["out", "timeout"]);
      if (positional.length !== 1) throw new Error(`run: expected one notebook or folder\n${USAGE}`);
      const { runNotebooks } = await import("./runner.js");
      return runNotebooks(positional[0]!, {
        outDir: typeof flags.out === "string" ? flags.out : undefined,
        timeoutSeconds: flags.timeout === undefined ? undefined : seconds("--timeout", flags.timeout),
      });
    }
    case "--version":
      console.log(packageVersion());
      return 0;
    default:
      console.error(USAGE);
      return command === undefined || command === "--help" ? 0 : 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (e: Error) => {
    console.error(`stillroom: ${e.message}`);
    process.exit(1);
  },
);
