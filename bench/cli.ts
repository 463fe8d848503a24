// What the benchmarks share on their command line: reading a --flag, and finding the Python the
// PyTorch references run on.
import { execFileSync } from "node:child_process";

/** `--name value` or `--name=value`; a following `--other` is not taken as the value. */
export function flag(args: string[], name: string, fallback: string): string {
  const at = args.indexOf(`--${name}`);
  if (at >= 0 && args[at + 1] !== undefined && !args[at + 1]!.startsWith("--")) return args[at + 1]!;
  const inline = args.find((a) => a.startsWith(`--${name}=`));
  return inline ? inline.slice(name.length + 3) : fallback;
}

/** The first of --python, STILLROOM_PYTHON, Debian's /usr/bin/python3 and `python3` on PATH that
 *  can import torch (a pyenv or venv python3 earlier on PATH often cannot). */
export function findTorchPython(preferred: string): string | null {
  for (const py of [preferred, process.env.STILLROOM_PYTHON, "/usr/bin/python3", "python3"]) {
    if (!py) continue;
    try {
      execFileSync(py, ["-c", "import torch"], { stdio: "ignore" });
      return py;
    } catch {
      /* next */
    }
  }
  return null;
}
