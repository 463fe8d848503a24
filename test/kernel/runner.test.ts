// `stillroom run` when things go wrong: a kernel that dies, a cell past --timeout (one the
// interrupt stops, one it cannot), Ctrl-C and SIGTERM, a bad --timeout. Each exits non-zero naming
// the notebook and cell, writes the partial notebook, and leaves no process and no connection file.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const MAIN = fileURLToPath(new URL("../../kernel/main.js", import.meta.url));

interface Run {
  status: number | null;
  stderr: string;
  notebook: {
    cells: { outputs?: { output_type: string; ename?: string; evalue?: string; text?: string }[]; execution_count: number | null }[];
  } | null;
  /** What the run left in its own temporary folder (connection files). */
  leftovers: string[];
}

function notebookOf(cells: string[]): string {
  return JSON.stringify({
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {},
    cells: cells.map((source, i) => ({ cell_type: "code", id: `c${i}`, metadata: {}, source, outputs: [], execution_count: null })),
  });
}

/** Runs `stillroom run` on the cells; `signal` is sent once the marker file says cell 2 started. */
async function run(cells: string[], args: string[] = [], signal?: NodeJS.Signals): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), "stillroom-runner-"));
  const tmp = join(dir, "tmp");
  const marker = join(dir, "started");
  const source = join(dir, "nb.ipynb");
  writeFileSync(source, notebookOf(cells.map((c) => c.replaceAll("MARKER", JSON.stringify(marker)))));
  spawnSync("mkdir", [tmp]);
  try {
    const child = spawn(process.execPath, [MAIN, "run", source, "--out", join(dir, "out"), ...args], {
      env: { ...process.env, TMPDIR: tmp },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    if (signal) {
      while (!existsSync(marker) && child.exitCode === null) await new Promise((r) => setTimeout(r, 100));
      await new Promise((r) => setTimeout(r, 300));
      child.kill(signal);
    }
    const status = await new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    const out = join(dir, "out", "nb.ipynb");
    const notebook = existsSync(out) ? JSON.parse(readFileSync(out, "utf8")) : null;
    return { status, stderr, notebook, leftovers: readdirSync(tmp) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Whether any process still runs with `marker` in its command line (the kernel, its children). */
function stillRunning(needle: string): boolean {
  const ps = spawnSync("ps", ["-eo", "args"], { encoding: "utf8" }).stdout;
  return ps.split("\n").some((line) => line.includes(needle) && !line.includes("ps -eo"));
}

test("a kernel that exits mid-notebook fails the run, naming the cell, with the partial notebook", async () => {
  const r = await run(["console.log('one')", "process.exit(3)", "'never'"]);
  assert.equal(r.status, 1);
  // zeromq's native teardown may abort a process that exits with its sockets open.
  assert.match(r.stderr, /nb\.ipynb: cell 2: the kernel died \((exit code 3|signal SIGABRT)\) while it ran/);
  assert.equal(r.notebook!.cells[0]!.outputs![0]!.text, "one\n");
  assert.equal(r.notebook!.cells[1]!.outputs!.at(-1)!.ename, "KernelDied");
  assert.equal(r.notebook!.cells[2]!.execution_count, null);
  assert.deepEqual(r.leftovers, [], "no connection file left behind");
});

test("--timeout interrupts a cell that never yields; the run fails naming the cell", async () => {
  const r = await run(["1", "await null; while (true) {}", "'never'"], ["--timeout", "1"]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /nb\.ipynb: cell 2 timed out after 1 s and was interrupted/);
  // One error in the cell, naming the timeout (not the kernel's bare "execution interrupted").
  const errors = r.notebook!.cells[1]!.outputs!.filter((o) => o.output_type === "error");
  assert.deepEqual(
    errors.map((o) => [o.ename, o.evalue]),
    [["Timeout", "the cell timed out after 1 s (--timeout 1) and was interrupted"]],
  );
  assert.deepEqual(r.leftovers, []);
});

test("--timeout kills a kernel the interrupt cannot stop, and nothing outlives the run", async () => {
  const needle = `sleep ${30 + Math.floor(Math.random() * 1000)}`;
  const r = await run(["1", `require('node:child_process').execSync(${JSON.stringify(needle)})`], ["--timeout", "1"]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /cell 2 timed out after 1 s; it did not stop within 10 s of the interrupt, so the kernel was killed/);
  assert.equal(r.notebook!.cells[1]!.outputs!.at(-1)!.ename, "Timeout");
  assert.match(
    r.notebook!.cells[1]!.outputs!.at(-1)!.evalue!,
    /^the cell timed out after 1 s \(--timeout 1\) and did not stop within 10 s/,
  );
  assert.ok(!stillRunning(needle), "the kernel's own children are gone too");
  assert.deepEqual(r.leftovers, []);
});

for (const [signal, code] of [
  ["SIGINT", 130],
  ["SIGTERM", 130],
] as const) {
  test(`${signal} interrupts the cell, writes the partial notebook, shuts the kernel down and exits ${code}`, async () => {
    const needle = `stillroom-${signal}-${Math.random().toString(36).slice(2)}`;
    const r = await run(
      [
        "globalThis.tag = 'x'",
        `require('node:fs').writeFileSync(MARKER, ''); process.title = ${JSON.stringify(needle)}; await null; while (true) {}`,
      ],
      [],
      signal,
    );
    assert.equal(r.status, code, r.stderr);
    assert.match(r.stderr, new RegExp(`nb\\.ipynb: cell 2: stopped by ${signal}`));
    assert.equal(r.notebook!.cells[0]!.execution_count, 1);
    assert.equal(r.notebook!.cells[1]!.outputs!.at(-1)!.ename, "Stopped");
    assert.ok(!stillRunning(needle), "the kernel is gone");
    assert.deepEqual(r.leftovers, []);
  });
}

test("--timeout with a value that is not a positive number is refused", () => {
  for (const value of ["abc", "0", "-3", ""]) {
    const r = spawnSync(process.execPath, [MAIN, "run", "x.ipynb", "--timeout", value], { encoding: "utf8" });
    assert.equal(r.status, 2, value);
    assert.match(r.stderr, /--timeout .*: expected a number of seconds > 0/);
  }
});
