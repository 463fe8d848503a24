// The Python the PyTorch references run on: the first of --python, STILLROOM_PYTHON, Debian's
// /usr/bin/python3 and whatever `python3` is on PATH that can import torch (a pyenv or venv
// python3 earlier on PATH often cannot).
import { execFileSync } from "node:child_process";

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
