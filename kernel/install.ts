// `stillroom install`: writes a kernelspec that `jupyter kernelspec list`, JupyterLab, VS Code
// and nbclient find (jupyter_client's kernels.rst: <data dir>/kernels/<name>/kernel.json).
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { accessSync, constants, copyFileSync, mkdirSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { basename, delimiter, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export interface InstallOptions {
  user?: boolean;
  sysPrefix?: boolean;
  prefix?: string;
  name?: string;
  displayName?: string;
}

const SPEC_DIR = fileURLToPath(new URL("../../kernelspec/", import.meta.url));
const MAIN = fileURLToPath(new URL("./main.js", import.meta.url));

/** The first `name` on PATH that is a file we may run. */
function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      if (statSync(file).isFile()) return file;
    } catch {
      /* not here */
    }
  }
  return undefined;
}

/**
 * The python that runs `jupyter`: the interpreter its launcher script names on its first line
 * (`#!/usr/bin/python3`, `#!/home/me/jl/bin/python`, `#!/usr/bin/env python3`). That python's
 * environment is the one `--sys-prefix` means, as it does for ipykernel; the first `python3` on
 * PATH may belong to another (pyenv, a different venv).
 */
export function jupyterPython(): string[] {
  const jupyter = onPath("jupyter");
  if (!jupyter) throw new Error("--sys-prefix: no `jupyter` on PATH to find its environment; install Jupyter or use --prefix DIR");
  const head = readFileSync(jupyter).subarray(0, 512).toString("utf8").split("\n", 1)[0]!;
  if (!head.startsWith("#!")) throw new Error(`--sys-prefix: ${jupyter} is not a script naming its python (no #! line); use --prefix DIR`);
  const words = head.slice(2).trim().split(/\s+/);
  // `#!/usr/bin/env [-S] python3 [flags]`: the interpreter is looked up on PATH, as env would.
  if (basename(words[0]!) === "env") {
    const rest = words.slice(1).filter((w) => w !== "-S");
    const found = rest[0] && (rest[0].includes("/") ? rest[0] : onPath(rest[0]));
    if (!found) throw new Error(`--sys-prefix: ${jupyter} runs \`${rest.join(" ")}\`, which is not on PATH`);
    return [found, ...rest.slice(1)];
  }
  return words;
}

/** The sys.prefix of the python that runs `jupyter`, as `--sys-prefix` means for ipykernel. */
function jupyterSysPrefix(): string {
  const [python, ...flags] = jupyterPython();
  try {
    return execFileSync(python!, [...flags, "-c", "import sys; print(sys.prefix)"], { encoding: "utf8" }).trim();
  } catch (e) {
    throw new Error(`--sys-prefix: ${python} (the python behind jupyter) did not say its sys.prefix: ${(e as Error).message}`);
  }
}

function userDataDir(): string {
  if (process.env.JUPYTER_DATA_DIR) return process.env.JUPYTER_DATA_DIR;
  if (process.platform === "darwin") return join(homedir(), "Library", "Jupyter");
  return join(process.env.XDG_DATA_HOME || join(homedir(), ".local", "share"), "jupyter");
}

export function kernelJson(displayName = "TypeScript (Stillroom)"): Record<string, unknown> {
  return {
    argv: [process.execPath, MAIN, "kernel", "{connection_file}"],
    display_name: displayName,
    language: "typescript",
    interrupt_mode: "message",
    env: {},
    metadata: { debugger: false },
  };
}

/**
 * Kernel names as jupyter_client accepts them (letters, digits, '.', '_', '-'), and never a name
 * made of dots only, which would put the kernelspec outside the kernels folder.
 */
export function checkKernelName(name: string): void {
  if (!/^[a-z0-9._-]+$/i.test(name)) throw new Error(`--name ${JSON.stringify(name)}: use letters, digits, '.', '_' or '-'`);
  if (/^\.+$/.test(name)) throw new Error(`--name ${JSON.stringify(name)}: a kernel name cannot be only dots`);
}

export function installKernelspec(options: InstallOptions = {}): string {
  const name = options.name ?? "stillroom";
  checkKernelName(name);
  const chosen = [options.user, options.sysPrefix, options.prefix !== undefined].filter(Boolean).length;
  if (chosen > 1) throw new Error("choose one of --user, --sys-prefix and --prefix");
  const base =
    options.prefix !== undefined
      ? join(resolve(options.prefix), "share", "jupyter")
      : options.sysPrefix
        ? join(jupyterSysPrefix(), "share", "jupyter")
        : userDataDir();
  const dir = join(base, "kernels", name);
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `.kernel.json.${randomBytes(8).toString("hex")}`);
  writeFileSync(tmp, `${JSON.stringify(kernelJson(options.displayName), null, 2)}\n`, { flag: "wx" });
  renameSync(tmp, join(dir, "kernel.json"));
  for (const file of readdirSync(SPEC_DIR)) if (file.startsWith("logo-")) copyFileSync(join(SPEC_DIR, file), join(dir, file));
  return dir;
}
