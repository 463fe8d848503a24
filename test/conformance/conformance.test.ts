// The peer suite: jupyter_kernel_test (Debian python3-jupyter-kernel-test) against the kernel,
// started by jupyter_client from a kernelspec that `stillroom install --prefix` wrote.
// Passes only when every test of the suite ran, none was skipped and none failed.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { after, before, test } from "node:test";
import { join } from "node:path";
import { type JupyterEnv, REPO_ROOT, findPython, jupyterEnv, run, tail } from "../integration/jupyter-env.js";

const SOURCE_DIR = join(REPO_ROOT, "test", "conformance");

let python: string;
let jupyter: JupyterEnv;

before(() => {
  python = findPython(["jupyter_client", "jupyter_kernel_test"]);
  jupyter = jupyterEnv();
});

after(() => jupyter?.cleanup());

/** The test_* methods jupyter_kernel_test.KernelTests defines in the installed version. */
function suiteTestNames(): string[] {
  const out = execFileSync(
    python,
    ["-c", "import jupyter_kernel_test as j; print('\\n'.join(sorted(n for n in dir(j.KernelTests) if n.startswith('test_'))))"],
    {
      encoding: "utf8",
    },
  );
  return out.split("\n").filter(Boolean);
}

test("jupyter_kernel_test passes with every test run and none skipped", { timeout: 240_000 }, async () => {
  const names = suiteTestNames();
  // 0.4.5 has 12; a different count means a different version, still checked name by name.
  assert.ok(names.length >= 12, `expected at least 12 tests in jupyter_kernel_test, found ${names.join(", ")}`);
  const expected = names.length + 1; // and EveryAttributeSet's own test

  const result = await run(python, ["-m", "unittest", "-v", "test_stillroom"], { cwd: SOURCE_DIR, env: jupyter.env, timeoutMs: 200_000 });
  const output = `${result.stdout}\n${result.stderr}`;
  const context = `\n--- unittest output ---\n${tail(output, 12_000)}`;

  assert.equal(result.timedOut, false, `unittest did not finish in time${context}`);
  const ran = /^Ran (\d+) tests? in [\d.]+s$/m.exec(output);
  assert.ok(ran, `no "Ran N tests" summary${context}`);
  const summary = /^(OK|FAILED)(?: \((.*)\))?$/m.exec(output.slice(ran.index));
  assert.ok(summary, `no OK/FAILED summary line${context}`);
  assert.equal(summary[1], "OK", `unittest reported ${summary[0]}${context}`);
  assert.doesNotMatch(summary[2] ?? "", /skipped/, `some tests were skipped: ${summary[0]}${context}`);
  assert.doesNotMatch(output, /\.\.\. skipped/, `a test or subtest was skipped${context}`);
  assert.equal(Number(ran[1]), expected, `expected ${expected} tests to run${context}`);
  for (const name of names)
    assert.match(
      output,
      new RegExp(`^${name} \\(test_stillroom\\.StillroomKernelTests(?:\\.${name})?\\) \\.\\.\\. ok$`, "m"),
      `${name} did not pass${context}`,
    );
  assert.equal(result.code, 0, `unittest exited with ${result.code}${context}`);
});
