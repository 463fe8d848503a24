// Every notebook in notebooks/ runs headless through the kernel, as `npm start` runs the quickstart.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const MAIN = join(ROOT, "dist", "kernel", "main.js");
const notebooks = readdirSync(join(ROOT, "notebooks"))
  .filter((f) => f.endsWith(".ipynb"))
  .sort();

test("the notebooks folder has the quickstart", () => {
  assert.ok(notebooks.includes("00-quickstart.ipynb"));
});

for (const name of notebooks) {
  test(`notebooks/${name} runs without errors and writes its outputs`, { timeout: 600_000 }, () => {
    const out = mkdtempSync(join(tmpdir(), "stillroom-nb-"));
    try {
      const run = spawnSync(process.execPath, [MAIN, "run", join(ROOT, "notebooks", name), "--out", out], { encoding: "utf8" });
      assert.equal(run.status, 0, `stillroom run failed:\n${run.stdout}\n${run.stderr}`);
      const executed = JSON.parse(readFileSync(join(out, name), "utf8"));
      assert.equal(executed.nbformat, 4);
      assert.ok(executed.nbformat_minor >= 5);
      const code = executed.cells.filter((c: { cell_type: string }) => c.cell_type === "code");
      assert.ok(code.length > 0);
      for (const cell of code) {
        assert.ok(Number.isInteger(cell.execution_count), "every code cell ran");
        assert.ok(!cell.outputs.some((o: { output_type: string }) => o.output_type === "error"), "no cell failed");
      }
      if (name === "00-quickstart.ipynb") {
        const files = readdirSync(out);
        assert.ok(
          files.some((f) => f.endsWith(".svg")),
          "the chart was written as SVG",
        );
        assert.ok(
          files.some((f) => f.endsWith(".md")),
          "the table was written as Markdown",
        );
        const mimes = new Set(code.flatMap((c: { outputs: { data?: object }[] }) => c.outputs.flatMap((o) => Object.keys(o.data ?? {}))));
        for (const mime of [
          "text/html",
          "text/markdown",
          "image/svg+xml",
          "image/png",
          "application/json",
          "application/vnd.vegalite.v5+json",
        ]) {
          assert.ok(mimes.has(mime), `the quickstart shows ${mime}`);
        }
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
}

test("a failing cell makes `stillroom run` exit non-zero naming the notebook and cell", () => {
  const dir = mkdtempSync(join(tmpdir(), "stillroom-nb-"));
  try {
    const nb = {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: {},
      cells: [
        { cell_type: "code", id: "a", metadata: {}, source: "1 + 1", outputs: [], execution_count: null },
        { cell_type: "code", id: "b", metadata: {}, source: "throw new Error('broken on purpose')", outputs: [], execution_count: null },
        { cell_type: "code", id: "c", metadata: {}, source: "'never'", outputs: [], execution_count: null },
      ],
    };
    const path = join(dir, "bad.ipynb");
    writeFileSync(path, JSON.stringify(nb));
    const run = spawnSync(process.execPath, [MAIN, "run", path, "--out", join(dir, "out")], { encoding: "utf8" });
    assert.equal(run.status, 1);
    assert.match(run.stderr, /bad\.ipynb: cell 2 failed: Error: broken on purpose/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
