// The path `jupyter nbconvert --execute` (nbclient) takes: it finds the kernelspec that
// `stillroom install --prefix` wrote, starts the kernel through jupyter_client, runs every cell
// and stores the outputs in the .ipynb. The outputs are read back and checked cell by cell.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { type JupyterEnv, findPython, jupyterEnv, run, tail } from "./jupyter-env.js";

interface Output {
  output_type: string;
  name?: string;
  text?: string | string[];
  data?: Record<string, string | string[]>;
  execution_count?: number | null;
  ename?: string;
}

interface Cell {
  cell_type: string;
  source: string | string[];
  outputs?: Output[];
  execution_count?: number | null;
  metadata: Record<string, unknown>;
}

const join1 = (v: string | string[] | undefined): string => (Array.isArray(v) ? v.join("") : (v ?? ""));

function codeCell(source: string): Cell {
  return { cell_type: "code", source, metadata: {}, outputs: [], execution_count: null };
}

const CELLS = [
  'console.log("hello from stillroom");\nconsole.log("second line");',
  'display.markdown("# Results\\n\\n*all good*")',
  "const answer: number = 6 * 7;\nanswer",
  "await new Promise((resolve) => setTimeout(resolve, 20));\n`awaited ${answer}`",
];

let jupyter: JupyterEnv;
let executed: { cells: Cell[]; metadata: Record<string, any> } | null = null;
let failure = "";

/** The executed code cells; fails the calling test when nbconvert did not produce them. */
function codeCells(): [Cell, Cell, Cell, Cell] {
  assert.ok(executed, failure);
  return executed.cells.filter((c) => c.cell_type === "code") as [Cell, Cell, Cell, Cell];
}

// nbconvert runs once; each test below checks one part of what it wrote.
before(
  async () => {
    const python = findPython(["nbconvert", "nbclient", "jupyter_client"]);
    jupyter = jupyterEnv();
    const notebook = {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: {
        kernelspec: { name: "stillroom", display_name: "TypeScript (Stillroom)", language: "typescript" },
        language_info: { name: "typescript" },
      },
      cells: [{ cell_type: "markdown", source: "# A notebook", metadata: {} }, ...CELLS.map(codeCell)].map((c, i) => ({
        id: `cell-${i}`,
        ...c,
      })),
    };
    const input = join(jupyter.work, "in.ipynb");
    writeFileSync(input, JSON.stringify(notebook, null, 1));
    const result = await run(
      python,
      [
        "-m",
        "nbconvert",
        "--to",
        "notebook",
        "--execute",
        "--ExecutePreprocessor.kernel_name=stillroom",
        "--ExecutePreprocessor.timeout=60",
        "--output",
        "out.ipynb",
        "--output-dir",
        jupyter.work,
        input,
      ],
      { cwd: jupyter.work, env: jupyter.env, timeoutMs: 150_000 },
    );
    if (result.timedOut || result.code !== 0) {
      failure = `nbconvert ${result.timedOut ? "timed out" : `exited with ${result.code}`}\n--- stderr ---\n${tail(result.stderr)}`;
      return;
    }
    executed = JSON.parse(readFileSync(join(jupyter.work, "out.ipynb"), "utf8"));
  },
  { timeout: 180_000 },
);

after(() => jupyter?.cleanup());

test("nbconvert --execute runs every cell on the stillroom kernel without errors", () => {
  assert.ok(executed, failure);
  assert.equal(executed.metadata.language_info?.name, "typescript", "language_info comes from kernel_info_reply");
  assert.equal(executed.metadata.language_info?.file_extension, ".ts");
  assert.equal(executed.metadata.kernelspec?.name, "stillroom");
  const code = codeCells();
  assert.equal(code.length, CELLS.length);
  assert.deepEqual(
    code.map((c) => c.execution_count),
    [1, 2, 3, 4],
    "execution counts run 1..4",
  );
  for (const cell of code) {
    assert.ok(!cell.outputs!.some((o) => o.output_type === "error"), `cell ${join1(cell.source)} failed: ${JSON.stringify(cell.outputs)}`);
  }
});

test("console.log lands as stdout stream text, in order", () => {
  const [logCell] = codeCells();
  const streams = logCell.outputs!.filter((o) => o.output_type === "stream");
  assert.ok(streams.length >= 1 && streams.every((o) => o.name === "stdout"), JSON.stringify(logCell.outputs));
  // Stream messages may be merged or split; their text, joined, is what was printed.
  assert.equal(streams.map((o) => join1(o.text)).join(""), "hello from stillroom\nsecond line\n");
  assert.equal(logCell.outputs!.length, streams.length, `console.log makes stream output only: ${JSON.stringify(logCell.outputs)}`);
});

test("display.markdown makes one display_data and no execute_result", () => {
  const [, markdownCell] = codeCells();
  const displays = markdownCell.outputs!.filter((o) => o.output_type === "display_data");
  assert.equal(displays.length, 1, JSON.stringify(markdownCell.outputs));
  assert.equal(join1(displays[0]!.data!["text/markdown"]), "# Results\n\n*all good*");
  // display() returns a promise of a handle; like IPython's display() returning None, that is
  // not the cell's result, or every display cell would also print "Promise { ... }".
  assert.deepEqual(
    markdownCell.outputs!.map((o) => o.output_type),
    ["display_data"],
    `a display.markdown(...) cell shows only its display, got ${JSON.stringify(markdownCell.outputs)}`,
  );
});

test("the last expression is the execute_result, as text/plain", () => {
  const [, , resultCell] = codeCells();
  assert.equal(resultCell.outputs!.length, 1, JSON.stringify(resultCell.outputs));
  const output = resultCell.outputs![0]!;
  assert.equal(output.output_type, "execute_result");
  assert.equal(output.execution_count, 3);
  assert.equal(join1(output.data!["text/plain"]), "42");
});

test("top-level await runs, and sees an earlier cell's const", () => {
  const [, , , awaitCell] = codeCells();
  assert.equal(awaitCell.outputs!.length, 1, JSON.stringify(awaitCell.outputs));
  const output = awaitCell.outputs![0]!;
  assert.equal(output.output_type, "execute_result");
  assert.equal(output.execution_count, 4);
  assert.equal(join1(output.data!["text/plain"]), "'awaited 42'");
});
