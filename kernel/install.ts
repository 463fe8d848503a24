// `stillroom install`: writes a kernelspec that `jupyter kernelspec list`, JupyterLab, VS Code
// and nbclient find (jupyter_client's kernels.rst: <data dir>/kernels/<name>/kernel.json).
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { copyFileSync, mkdirSync, readdirSync, renameSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
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

/** The sys.prefix of the python that runs `jupyter`, as `--sys-prefix` means for ipykernel. */
function pythonSysPrefix(): string {
  try {
    return execFileSync("python3", ["-c", "import sys; print(sys.prefix)"], { encoding: "utf8" }).trim();
  } catch (e) {
    throw new Error(`--sys-prefix needs python3 on PATH to find sys.prefix: ${(e as Error).message}`);
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
        ? join(pythonSysPrefix(), "share", "jupyter")
        : userDataDir();
  const dir = join(base, "kernels", name);
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `.kernel.json.${randomBytes(8).toString("hex")}`);
  writeFileSync(tmp, `${JSON.stringify(kernelJson(options.displayName), null, 2)}\n`, { flag: "wx" });
  renameSync(tmp, join(dir, "kernel.json"));
  for (const file of readdirSync(SPEC_DIR)) if (file.startsWith("logo-")) copyFileSync(join(SPEC_DIR, file), join(dir, file));
  return dir;
}
