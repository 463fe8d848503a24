// Kernel benchmark: Stillroom beside its peers (ipykernel, Deno's kernel), every kernel driven by
// the same harness, bench/kernel_bench.py on jupyter_client, from kernelspecs written into a
// temporary JUPYTER_PATH; the harness takes the kernels in turns so machine noise spreads over
// all of them. `npm run bench:kernel` builds and runs it; see bench/README.md.
//
// stdout: one JSON line per (kernel, metric), then one per (metric, peer) ratio stillroom/peer.
// stderr: progress and a Markdown table of the medians.
//
// Options: --kernels stillroom,stillroom-notypecheck,ipykernel,deno  --starts 5  --cells 200
//          --lines 1000  --reps 10  --block 20 (cells per kernel per turn)
//          --before DIR: also a build of stillroom from DIR (a dist/ folder, e.g. main's, copied
//          aside) as stillroom-before, in the same turns, for an A/B of a change under the same load
// Environment: STILLROOM_PYTHON (a python3 with jupyter_client and ipykernel), DENO (the deno
// binary; otherwise `deno` on PATH or node_modules/.bin/deno).
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";
import { flag } from "./cli.js";

const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const KERNEL_MAIN = join(REPO_ROOT, "dist", "kernel", "main.js");
const HARNESS = join(REPO_ROOT, "bench", "kernel_bench.py");

interface Row {
  kernel: string;
  metric: string;
  unit: string;
  median: number;
  p95: number;
  min: number;
  n: number;
  [extra: string]: unknown;
}

interface KernelUnderTest {
  label: string;
  language: "typescript" | "python";
  /** Writes the kernelspec under kernelsDir/<label>/, or says why it cannot. */
  install(kernelsDir: string): string | null;
}

function findPython(): string {
  for (const python of [process.env.STILLROOM_PYTHON, "python3", "/usr/bin/python3"]) {
    if (!python) continue;
    try {
      execFileSync(python, ["-c", "import jupyter_client, ipykernel"], { stdio: "ignore" });
      return python;
    } catch {
      /* next */
    }
  }
  throw new Error("no python3 with jupyter_client and ipykernel (Debian: jupyter-client, python3-ipykernel); set STILLROOM_PYTHON");
}

function onPath(name: string): string | null {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    const candidate = join(dir, name);
    if (dir && existsSync(candidate)) return candidate;
  }
  return null;
}

function findDeno(): string | null {
  const candidates = [process.env.DENO, onPath("deno"), join(REPO_ROOT, "node_modules", ".bin", "deno")];
  for (const deno of candidates) {
    if (!deno || !existsSync(deno)) continue;
    try {
      execFileSync(deno, ["--version"], { stdio: "ignore" });
      return deno;
    } catch {
      /* next */
    }
  }
  return null;
}

function writeSpec(kernelsDir: string, name: string, spec: Record<string, unknown>): void {
  mkdirSync(join(kernelsDir, name), { recursive: true });
  writeFileSync(join(kernelsDir, name, "kernel.json"), JSON.stringify(spec, null, 2));
}

function kernels(python: string, before: string | null): Record<string, KernelUnderTest> {
  return {
    "stillroom-before": {
      label: "stillroom-before",
      language: "typescript",
      install(kernelsDir) {
        const main = join(before ?? "", "kernel", "main.js");
        if (!before || !existsSync(main)) return `--before: no ${main}`;
        writeSpec(kernelsDir, "stillroom-before", {
          argv: [process.execPath, main, "kernel", "{connection_file}"],
          display_name: "Stillroom (before)",
          language: "typescript",
          interrupt_mode: "message",
        });
        return null;
      },
    },
    stillroom: {
      label: "stillroom",
      language: "typescript",
      // The kernelspec users get: `stillroom install` (here into the temporary prefix).
      install(kernelsDir) {
        const prefix = join(kernelsDir, "..", "..", "..");
        execFileSync(process.execPath, [KERNEL_MAIN, "install", "--prefix", prefix, "--name", "stillroom"], { stdio: "ignore" });
        return null;
      },
    },
    "stillroom-notypecheck": {
      label: "stillroom-notypecheck",
      language: "typescript",
      install(kernelsDir) {
        writeSpec(kernelsDir, "stillroom-notypecheck", {
          argv: [process.execPath, KERNEL_MAIN, "kernel", "{connection_file}", "--typecheck", "off"],
          display_name: "Stillroom (no type check)",
          language: "typescript",
          interrupt_mode: "message",
        });
        return null;
      },
    },
    ipykernel: {
      label: "ipykernel",
      language: "python",
      install(kernelsDir) {
        writeSpec(kernelsDir, "ipykernel", {
          argv: [python, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
          display_name: "Python 3 (ipykernel)",
          language: "python",
          metadata: { debugger: true },
        });
        return null;
      },
    },
    deno: {
      label: "deno",
      language: "typescript",
      // What `deno jupyter --install` writes (it always writes into the user's data dir, so the
      // same spec is written here instead).
      install(kernelsDir) {
        const deno = findDeno();
        if (!deno) return "deno not found: set DENO, put deno on PATH, or `npm install --no-save deno` (the npm package ships the binary)";
        writeSpec(kernelsDir, "deno", {
          argv: [deno, "jupyter", "--kernel", "--conn", "{connection_file}"],
          display_name: "Deno",
          language: "typescript",
        });
        return null;
      },
    },
  };
}

function runHarness(python: string, kernels: KernelUnderTest[], env: NodeJS.ProcessEnv, opts: Record<string, string>): Promise<Row[]> {
  const args = [HARNESS, ...kernels.flatMap((k) => ["--kernel", `${k.label}:${k.language}`])];
  for (const name of ["starts", "cells", "lines", "reps", "block"]) args.push(`--${name}`, opts[name]!);
  return new Promise((resolve, reject) => {
    const child = spawn(python, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    const rows: Row[] = [];
    let buffer = "";
    let errors = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      buffer += d;
      for (let nl = buffer.indexOf("\n"); nl >= 0; nl = buffer.indexOf("\n")) {
        const line = buffer.slice(0, nl).trim();
        buffer = buffer.slice(nl + 1);
        if (!line) continue;
        const row = JSON.parse(line) as Row;
        rows.push(row);
        console.log(JSON.stringify(row));
      }
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      errors += d;
      process.stderr.write(d.replace(/^(?=.)/gm, "  "));
    });
    child.once("error", reject);
    child.once("close", (code) => (code === 0 ? resolve(rows) : reject(new Error(`harness exited with ${code}\n${errors.slice(-2000)}`))));
  });
}

function fmt(row: Row | undefined, metric: string): string {
  if (!row) return "n/a";
  return metric === "startup" ? `${(row.median / 1000).toFixed(2)} s` : `${row.median.toFixed(row.median < 10 ? 2 : 1)} ms`;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const opts = {
    starts: flag(args, "starts", "5"),
    cells: flag(args, "cells", "200"),
    lines: flag(args, "lines", "1000"),
    reps: flag(args, "reps", "10"),
    block: flag(args, "block", "20"),
  };
  const before = flag(args, "before", "") || null;
  const wanted = flag(args, "kernels", "stillroom,stillroom-notypecheck,ipykernel,deno").split(",").filter(Boolean);
  if (before && !wanted.includes("stillroom-before")) wanted.splice(wanted.indexOf("stillroom") + 1, 0, "stillroom-before");
  const python = findPython();
  const all = kernels(python, before);
  for (const name of wanted) if (!all[name]) throw new Error(`unknown kernel ${name}; known: ${Object.keys(all).join(", ")}`);

  const dir = mkdtempSync(join(tmpdir(), "stillroom-bench-"));
  const kernelsDir = join(dir, "prefix", "share", "jupyter", "kernels");
  mkdirSync(kernelsDir, { recursive: true });
  for (const sub of ["data", "runtime", "config", "ipython", "deno"]) mkdirSync(join(dir, sub));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    JUPYTER_PATH: join(dir, "prefix", "share", "jupyter"),
    JUPYTER_DATA_DIR: join(dir, "data"),
    JUPYTER_RUNTIME_DIR: join(dir, "runtime"),
    JUPYTER_CONFIG_DIR: join(dir, "config"),
    IPYTHONDIR: join(dir, "ipython"),
    DENO_DIR: join(dir, "deno"),
    PYTHONDONTWRITEBYTECODE: "1",
    // ipykernel's debugger otherwise warns about frozen modules on every start.
    PYDEVD_DISABLE_FILE_VALIDATION: "1",
  };

  const rows: Row[] = [];
  try {
    const measured: KernelUnderTest[] = [];
    for (const name of wanted) {
      const kernel = all[name]!;
      const missing = kernel.install(kernelsDir);
      if (missing) {
        console.log(JSON.stringify({ kernel: name, error: missing }));
        process.stderr.write(`${name}: not measured: ${missing}\n`);
      } else measured.push(kernel);
    }
    process.stderr.write(`measuring ${measured.map((k) => k.label).join(", ")} (in turns, on ${cpus().length} cores)\n`);
    rows.push(...(await runHarness(python, measured, env, opts)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const metrics = ["startup", "execute_roundtrip", "print_lines"];
  const find = (kernel: string, metric: string) => rows.find((r) => r.kernel === kernel && r.metric === metric);
  for (const peer of wanted.filter((k) => !k.startsWith("stillroom") || k === "stillroom-before")) {
    for (const metric of metrics) {
      const ours = find("stillroom", metric);
      const theirs = find(peer, metric);
      if (!ours || !theirs) continue;
      console.log(
        JSON.stringify({
          ratio: `stillroom/${peer}`,
          metric,
          median: +(ours.median / theirs.median).toFixed(3),
          p95: +(ours.p95 / theirs.p95).toFixed(3),
        }),
      );
    }
  }

  const header = `| kernel | start-up | trivial execute round trip (median / p95) | ${opts.lines} lines printed (median) |`;
  const lines = [header, "| --- | --- | --- | --- |"];
  for (const kernel of [...new Set(rows.map((r) => r.kernel))]) {
    const rt = find(kernel, "execute_roundtrip");
    const pl = find(kernel, "print_lines");
    const late =
      pl && Number(pl.lines_after_idle_max) > 0
        ? ` (idle at ${Number(pl.until_idle_median).toFixed(0)} ms, up to ${pl.lines_after_idle_max} lines after idle)`
        : "";
    lines.push(
      `| ${kernel} | ${fmt(find(kernel, "startup"), "startup")} | ${rt ? `${rt.median.toFixed(2)} / ${rt.p95.toFixed(2)} ms` : "n/a"} | ${fmt(pl, "print_lines")}${late} |`,
    );
  }
  process.stderr.write(`\n${lines.join("\n")}\n`);
}

main().catch((e: Error) => {
  console.error(`bench:kernel: ${e.message}`);
  process.exit(1);
});
