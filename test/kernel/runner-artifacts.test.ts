// `stillroom run` writes each chart as .png and .svg and each table as .md, named by the
// execution count the notebook shows beside the cell (In [2]), not by the cell's position.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const MAIN = fileURLToPath(new URL("../../kernel/main.js", import.meta.url));

test("chart and table files are named by execution count; the chart's PNG is the one in the notebook", () => {
  const dir = mkdtempSync(join(tmpdir(), "stillroom-run-"));
  try {
    const code = (id: string, source: string) => ({ cell_type: "code", id, metadata: {}, source, outputs: [], execution_count: null });
    const chart = `display.vegaLite({ data: { values: [{ x: "a", y: 1 }, { x: "b", y: 2 }] }, mark: "bar",
  encoding: { x: { field: "x", type: "nominal" }, y: { field: "y", type: "quantitative" } } });`;
    const nb = {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: {},
      cells: [
        { cell_type: "markdown", id: "m1", metadata: {}, source: "# notes" },
        code("c1", "1 + 1"),
        { cell_type: "markdown", id: "m2", metadata: {}, source: "a chart, then a table" },
        code("c2", chart),
        code("c3", "display.table([{ method: 'EVA', rank: 8 }])"),
      ],
    };
    writeFileSync(join(dir, "nb.ipynb"), JSON.stringify(nb));
    const out = join(dir, "out");
    const run = spawnSync(process.execPath, [MAIN, "run", join(dir, "nb.ipynb"), "--out", out], { encoding: "utf8" });
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(readdirSync(out).sort(), ["nb.In2.1.png", "nb.In2.1.svg", "nb.In3.1.md", "nb.ipynb"]);
    const executed = JSON.parse(readFileSync(join(out, "nb.ipynb"), "utf8"));
    const chartCell = executed.cells.find((c: { id: string }) => c.id === "c2");
    assert.equal(chartCell.execution_count, 2);
    const png = readFileSync(join(out, "nb.In2.1.png"));
    assert.equal(png.toString("base64"), chartCell.outputs[0].data["image/png"]);
    assert.ok(chartCell.outputs[0].metadata["image/png"].width > 0, "the notebook keeps the PNG's display size");
    assert.match(readFileSync(join(out, "nb.In2.1.svg"), "utf8"), /^<svg[^>]*class="marks"/);
    assert.match(readFileSync(join(out, "nb.In3.1.md"), "utf8"), /\|method\|rank\|/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
