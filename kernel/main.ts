#!/usr/bin/env node
// CLI: `stillroom kernel <connection-file>`, `stillroom install`, `stillroom run`. Exit codes: 0
// done, 1 a failure while working, 2 a mistake in the command line (named on stderr).
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type Command, UsageError, commandHelp, parseArgs, programHelp } from "./cli.js";
import { readConnectionFile } from "./connection.js";
import type { TypecheckMode } from "./handler.js";
import { checkKernelName } from "./install.js";

const TYPECHECK_MODES = ["off", "warn", "strict"] as const;

/** A positive number of seconds; anything else is refused, never taken as "no limit". */
export function seconds(value: string): number {
  const n = value.trim() !== "" ? Number(value) : Number.NaN;
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--timeout ${JSON.stringify(value)}: expected a number of seconds > 0`);
  return n;
}

const KERNEL: Command = {
  name: "kernel",
  args: "<connection-file>",
  positional: 1,
  summary: "Serves one Jupyter session on the ports a connection file names (Jupyter starts it from the kernelspec).",
  flags: [
    {
      name: "typecheck",
      value: "MODE",
      choices: TYPECHECK_MODES,
      help: "what a type error does: off, warn (a warning on stderr; the default) or strict (the cell does not run); STILLROOM_TYPECHECK sets the default",
    },
  ],
};

const INSTALL: Command = {
  name: "install",
  args: "",
  positional: 0,
  summary: "Writes the kernelspec that Jupyter, JupyterLab and VS Code find (default: --user).",
  flags: [
    { name: "user", help: "into your Jupyter data folder (JUPYTER_DATA_DIR, or ~/.local/share/jupyter); the default" },
    { name: "sys-prefix", help: "into the environment of the python that runs `jupyter` on PATH (its sys.prefix/share/jupyter)" },
    { name: "prefix", value: "DIR", help: "into DIR/share/jupyter" },
    { name: "name", value: "NAME", check: checkKernelName, help: "the kernel's name (default: stillroom); letters, digits, '.', '_', '-'" },
    { name: "display-name", value: "TEXT", help: 'the name Jupyter shows (default: "TypeScript (Stillroom)")' },
  ],
};

const RUN: Command = {
  name: "run",
  args: "<notebook.ipynb | folder>",
  positional: 1,
  summary:
    "Runs notebooks headless, in order, stopping at the first failed cell with the notebook and cell named.\n" +
    "Writes <name>.run.ipynb beside each notebook (the source is left as it was), with its charts\n" +
    "(<name>.In9.1.png and .svg) and tables (.md).",
  flags: [
    { name: "out", value: "DIR", help: "write the executed notebooks and their files into DIR, under the notebooks' own names" },
    { name: "inplace", help: "write each executed notebook over its source" },
    {
      name: "timeout",
      value: "SECONDS",
      check: seconds,
      help: "interrupt a cell that runs longer; kill its kernel if it has not stopped 10 s later",
    },
  ],
  notes:
    "A folder runs its .ipynb files in name order, skipping *.run.ipynb (earlier results).\n" +
    "Exit codes: 0 every cell ran; 1 a cell failed, timed out or its kernel died (the executed part is\n" +
    "written); 2 a bad command line; 130 Ctrl-C or SIGTERM.",
};

const COMMANDS = [KERNEL, INSTALL, RUN];

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(fileURLToPath(new URL("../../package.json", import.meta.url)), "utf8"));
  return String(pkg.version);
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    process.stderr.write(programHelp(COMMANDS));
    return 2;
  }
  if (name === "--help" || name === "-h" || name === "help") {
    const command = COMMANDS.find((c) => c.name === rest[0]);
    if (rest.length && !command) throw new UsageError(`stillroom help: unknown command ${JSON.stringify(rest[0])}`);
    process.stdout.write(command ? commandHelp(command) : programHelp(COMMANDS));
    return 0;
  }
  if (name === "--version" || name === "-V") {
    console.log(packageVersion());
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command)
    throw new UsageError(
      `unknown command ${JSON.stringify(name)}; the commands are ${COMMANDS.map((c) => c.name).join(", ")} (stillroom --help)`,
    );
  const { positional, flags, help } = parseArgs(command, rest);
  if (help) {
    process.stdout.write(commandHelp(command));
    return 0;
  }
  const text = (flag: string) => {
    const value = flags.get(flag);
    return typeof value === "string" ? value : undefined;
  };
  switch (command) {
    case KERNEL: {
      const fromEnv = process.env.STILLROOM_TYPECHECK;
      if (!flags.has("typecheck") && fromEnv !== undefined && !(TYPECHECK_MODES as readonly string[]).includes(fromEnv))
        throw new UsageError(
          `stillroom kernel: STILLROOM_TYPECHECK=${JSON.stringify(fromEnv)}: expected one of ${TYPECHECK_MODES.join(", ")}`,
        );
      const mode = (text("typecheck") ?? fromEnv ?? "warn") as TypecheckMode;
      const { startKernel } = await import("./server.js");
      await startKernel({
        connection: readConnectionFile(positional[0]!),
        version: packageVersion(),
        typecheck: mode,
        language: mode === "off" ? undefined : async () => (await import("./language/client.js")).startLanguageService(),
      });
      return -1; // keep running
    }
    case INSTALL: {
      const places = ["user", "sys-prefix", "prefix"].filter((f) => flags.has(f));
      if (places.length > 1)
        throw new UsageError(`stillroom install: choose one of --user, --sys-prefix and --prefix (got --${places.join(" and --")})`);
      const { installKernelspec } = await import("./install.js");
      const dir = installKernelspec({
        user: flags.has("user"),
        sysPrefix: flags.has("sys-prefix"),
        prefix: text("prefix"),
        name: text("name"),
        displayName: text("display-name"),
      });
      console.log(`installed kernelspec in ${dir}`);
      return 0;
    }
    case RUN: {
      if (flags.has("out") && flags.has("inplace"))
        throw new UsageError("stillroom run: --out and --inplace cannot be used together (--inplace writes over the source)");
      const timeout = text("timeout");
      const { runNotebooks } = await import("./runner.js");
      return runNotebooks(positional[0]!, {
        outDir: text("out"),
        inplace: flags.has("inplace"),
        timeoutSeconds: timeout === undefined ? undefined : seconds(timeout),
      });
    }
  }
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (e: Error) => {
    if (e instanceof UsageError) {
      console.error(e.message);
      process.exit(2);
    }
    console.error(`stillroom: ${e.message}`);
    process.exit(1);
  },
);
