// Shared by the conformance and integration tests: a Python that has Jupyter, a kernelspec
// installed into a temporary prefix, an environment that sees only that prefix, and a child
// process runner with a deadline. Not a test file itself.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (compiled tests live in dist/test/<suite>/). */
export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
export const KERNEL_MAIN = join(REPO_ROOT, "dist", "kernel", "main.js");

/**
 * A python3 that imports every module named. Debian's Jupyter packages live in /usr/bin/python3,
 * which a pyenv or venv python3 earlier on PATH cannot import; STILLROOM_PYTHON overrides.
 */
export function findPython(modules: string[]): string {
  const candidates = [process.env.STILLROOM_PYTHON, "python3", "/usr/bin/python3"].filter((c): c is string => Boolean(c));
  const tried: string[] = [];
  for (const python of [...new Set(candidates)]) {
    try {
      execFileSync(python, ["-c", modules.map((m) => `import ${m}`).join("; ")], { stdio: "ignore", timeout: 30_000 });
      return python;
    } catch {
      tried.push(python);
    }
  }
  throw new Error(
    `no python3 imports ${modules.join(", ")} (tried ${tried.join(", ")}); install the Debian Jupyter packages or set STILLROOM_PYTHON`,
  );
}

export interface JupyterEnv {
  /** The temporary folder everything lives in. */
  dir: string;
  /** A working folder inside dir (notebooks, the server's root). */
  work: string;
  /** The installed kernelspec's folder. */
  kernelDir: string;
  /** process.env with the Jupyter paths pointing into dir only. */
  env: NodeJS.ProcessEnv;
  cleanup(): void;
}

/** Installs the stillroom kernelspec with `stillroom install --prefix` into a fresh temp dir. */
export function jupyterEnv(name = "stillroom"): JupyterEnv {
  const dir = mkdtempSync(join(tmpdir(), "stillroom-jupyter-"));
  const prefix = join(dir, "prefix");
  const work = join(dir, "work");
  for (const sub of ["data", "config", "runtime", "ipython", "work"]) mkdirSync(join(dir, sub), { recursive: true });
  const out = execFileSync(process.execPath, [KERNEL_MAIN, "install", "--prefix", prefix, "--name", name], { encoding: "utf8" });
  const kernelDir = join(prefix, "share", "jupyter", "kernels", name);
  if (!out.includes(kernelDir)) throw new Error(`stillroom install did not report ${kernelDir}: ${out}`);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    JUPYTER_PATH: join(prefix, "share", "jupyter"),
    JUPYTER_DATA_DIR: join(dir, "data"),
    JUPYTER_CONFIG_DIR: join(dir, "config"),
    JUPYTER_RUNTIME_DIR: join(dir, "runtime"),
    IPYTHONDIR: join(dir, "ipython"),
    PYTHONDONTWRITEBYTECODE: "1",
    PYTHONUNBUFFERED: "1",
  };
  return { dir, work, kernelDir, env, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Runs a command to its end (or kills its process group at the deadline) and collects output. */
export function run(
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs: number },
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child, "SIGKILL");
    }, options.timeoutMs);
    child.once("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}

/** Signals a child started with detached: true and everything it started. */
export function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      /* already gone */
    }
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A message for assertion failures: the tail of a child's output. */
export function tail(text: string, chars = 4000): string {
  return text.length > chars ? `...${text.slice(-chars)}` : text;
}
