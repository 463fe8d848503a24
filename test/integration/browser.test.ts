// The classic Jupyter Notebook (Debian's jupyter-notebook) in a real browser (Debian's
// chromium, driven by puppeteer-core): the quickstart runs with the Stillroom kernel, its chart
// and tables render, cells have syntax colours, Tab completes `sr.models.`, and an untrusted
// notebook shows the chart's PNG rather than its text. Screenshots go to test-artifacts/browser/
// (or $STILLROOM_ARTIFACTS). Every wait is on a condition in the page, never a fixed sleep.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import puppeteer, { type Browser, type Page } from "puppeteer-core";
import {
  type JupyterEnv,
  KERNEL_MAIN,
  REPO_ROOT,
  findPython,
  freePort,
  jupyterEnv,
  killGroup,
  run as runCommand,
  tail,
} from "./jupyter-env.js";

const CHROMIUM = process.env.STILLROOM_CHROMIUM ?? "/usr/bin/chromium";
/** Chromium without a sandbox (CI runs as root), a GPU, or any traffic of its own. */
const CHROMIUM_FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const ARTIFACTS = process.env.STILLROOM_ARTIFACTS ?? join(REPO_ROOT, "test-artifacts", "browser");
const WAIT_MS = 45_000;

let jupyter: JupyterEnv;
let server: ChildProcess;
let serverLog = "";
let baseUrl: string;
let token: string;
let browser: Browser;
let page: Page;

async function waitForServer(deadlineMs: number): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`jupyter notebook exited with ${server.exitCode}\n${tail(serverLog)}`);
    try {
      if ((await fetch(`${baseUrl}api/status?token=${token}`)).ok) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`jupyter notebook did not answer within ${deadlineMs} ms\n${tail(serverLog)}`);
}

before(
  async () => {
    assert.ok(
      existsSync(CHROMIUM),
      `no Chromium at ${CHROMIUM}: apt-get install -y --no-install-recommends chromium (or set STILLROOM_CHROMIUM)`,
    );
    const python = findPython(["notebook.notebookapp"]);
    jupyter = jupyterEnv();
    copyFileSync(join(REPO_ROOT, "notebooks", "00-quickstart.ipynb"), join(jupyter.work, "00-quickstart.ipynb"));
    // The quickstart shows ../kernelspec/logo-64x64.png: the same layout in the temporary folder.
    mkdirSync(join(jupyter.dir, "kernelspec"));
    copyFileSync(join(REPO_ROOT, "kernelspec", "logo-64x64.png"), join(jupyter.dir, "kernelspec", "logo-64x64.png"));
    const untrusted = writeUntrustedChart(join(jupyter.work, "untrusted.ipynb"));
    mkdirSync(ARTIFACTS, { recursive: true });
    const port = await freePort();
    token = randomBytes(24).toString("hex");
    baseUrl = `http://127.0.0.1:${port}/`;
    server = spawn(
      python,
      [
        "-m",
        "notebook",
        "--NotebookApp.ip=127.0.0.1",
        `--NotebookApp.port=${port}`,
        "--NotebookApp.port_retries=0",
        `--NotebookApp.token=${token}`,
        "--NotebookApp.open_browser=False",
        `--NotebookApp.notebook_dir=${jupyter.work}`,
        "--allow-root",
      ],
      { cwd: jupyter.work, env: jupyter.env, stdio: ["ignore", "pipe", "pipe"], detached: true },
    );
    for (const stream of [server.stdout!, server.stderr!]) stream.setEncoding("utf8").on("data", (d: string) => (serverLog += d));
    const profile = mkdtempSync(join(jupyter.dir, "chromium-"));
    [browser] = await Promise.all([
      puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS, userDataDir: profile }),
      waitForServer(30_000),
      untrusted,
    ]);
    mark("the notebook server and the browser are up");
    console.log(`screenshots: ${ARTIFACTS}`);
  },
  { timeout: 60_000 },
);

after(
  async () => {
    try {
      await browser?.close();
      mark("browser closed");
    } finally {
      if (server) {
        const exited = server.exitCode !== null ? Promise.resolve() : new Promise((r) => server.once("exit", r));
        killGroup(server, "SIGTERM");
        const timer = setTimeout(() => killGroup(server, "SIGKILL"), 5000);
        await exited;
        clearTimeout(timer);
        mark("server stopped");
      }
      jupyter?.cleanup();
    }
  },
  { timeout: 30_000 },
);

/** A notebook with one executed chart cell, from `stillroom run`: unsigned here, so untrusted. */
async function writeUntrustedChart(path: string): Promise<void> {
  const source = `display.vegaLite({ title: "untrusted chart", data: { values: [{ x: 1, y: 2 }, { x: 2, y: 3 }] }, mark: "line",
  encoding: { x: { field: "x", type: "quantitative" }, y: { field: "y", type: "quantitative" } } });`;
  const nb = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {},
    cells: [{ cell_type: "code", id: "chart", metadata: {}, source, outputs: [] }],
  };
  const dir = mkdtempSync(join(jupyter.dir, "run-"));
  writeFileSync(join(dir, "untrusted.ipynb"), JSON.stringify(nb));
  const run = await runCommand(process.execPath, [KERNEL_MAIN, "run", join(dir, "untrusted.ipynb"), "--out", join(dir, "out")], {
    timeoutMs: 60_000,
  });
  assert.equal(run.code, 0, `stillroom run failed:\n${run.stdout}\n${run.stderr}`);
  copyFileSync(join(dir, "out", "untrusted.ipynb"), path);
}

/** The visible part of the page. */
async function screenshot(name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
}

/** The notebook scrolls inside its own element: the code cell holding `selector` is shot alone. */
async function screenshotCell(name: string, selector: string): Promise<void> {
  const cell = await page.evaluateHandle((sel) => document.querySelector(sel)?.closest(".cell") ?? null, selector);
  const element = cell.asElement() as import("puppeteer-core").ElementHandle<Element> | null;
  assert.ok(element, `no cell holds ${selector}`);
  await element.scrollIntoView();
  await element.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
}

const started = Date.now();
/** Phase times in the test's output, to see where a slow run spent its minute. */
function mark(phase: string): void {
  console.log(`${((Date.now() - started) / 1000).toFixed(1)} s: ${phase}`);
}

/** Waits for a condition in the page; on failure, a screenshot and the server's log say why. */
async function waitFor(what: string, fn: () => unknown, timeout = WAIT_MS): Promise<void> {
  try {
    await page.waitForFunction(fn, { timeout, polling: 100 });
    mark(what);
  } catch (e) {
    await screenshot(`failed-${what.replace(/\W+/g, "-")}`).catch(() => {});
    throw new Error(`waiting for ${what}: ${(e as Error).message}\n${tail(serverLog, 2000)}`);
  }
}

/** Opens a notebook in a fresh tab; with `kernel`, waits until its kernel answers. */
async function openNotebook(name: string, kernel = true): Promise<void> {
  // A fresh tab: leaving a notebook with unsaved changes would stop at a "leave page?" dialog.
  await page?.close({ runBeforeUnload: false });
  page = await browser.newPage();
  await page.setViewport({ width: 1200, height: 900 });
  await page.goto(`${baseUrl}notebooks/${name}?token=${token}`, { waitUntil: "domcontentloaded" });
  if (!kernel) return;
  // Jupyter is the classic Notebook's global; its kernel indicator turns idle once the kernel answers.
  await waitFor("the kernel to start", () => {
    const J = (window as unknown as { Jupyter?: { notebook?: { kernel?: { is_connected(): boolean } } } }).Jupyter;
    return J?.notebook?.kernel?.is_connected() && document.querySelector("#kernel_indicator_icon.kernel_idle_icon");
  });
}

test("the quickstart runs in the classic Notebook: chart, tables, colours and completion", { timeout: 120_000 }, async () => {
  await openNotebook("00-quickstart.ipynb");
  // Syntax colours in the notebook's cells: CodeMirror 5 found the mode that kernel_info names.
  await waitFor("syntax colours", () => document.querySelectorAll(".code_cell .CodeMirror .cm-keyword").length > 5);
  // Cell > Run All, as a user would.
  await page.click("#celllink");
  await page.click("#run_all_cells > a");
  await waitFor(
    "every cell to run",
    () =>
      document.querySelector("#kernel_indicator_icon.kernel_idle_icon") &&
      Array.from(document.querySelectorAll(".code_cell .input_prompt")).every((p) => /\[\d+\]/.test(p.textContent ?? "")),
  );
  await waitFor("the chart's PNG to decode", () =>
    Array.from(document.querySelectorAll(".output_png img")).some((i) => (i as HTMLImageElement).naturalWidth > 400),
  );
  await screenshot("quickstart");
  await screenshotCell("quickstart-chart", ".output_png img[src^='data:image/png'][width]");
  await screenshotCell("quickstart-table", ".output_html table");
  const page1 = await page.evaluate(() => ({
    errors: Array.from(document.querySelectorAll(".output_error, .output_stderr"))
      .map((e) => e.textContent)
      .filter((t) => !/stderr is its own stream/.test(t ?? "")),
    chart: Array.from(document.querySelectorAll(".output_png img"))
      .map((i) => i as HTMLImageElement)
      .filter((i) => i.naturalWidth > 400)
      .map((i) => ({ width: i.width, natural: i.naturalWidth, complete: i.complete })),
    tableRows: Array.from(document.querySelectorAll(".output_html table")).map((t) => t.querySelectorAll("tbody tr").length),
    tableText: Array.from(document.querySelectorAll(".output_html table"))
      .map((t) => t.textContent ?? "")
      .join(" "),
    chartAsText: Array.from(document.querySelectorAll(".output_text")).some((t) => /Vega-Lite chart/.test(t.textContent ?? "")),
  }));
  assert.deepEqual(page1.errors, [], "no cell failed");
  assert.equal(page1.chart.length, 1, `the loss chart's PNG: ${JSON.stringify(page1.chart)}`);
  assert.ok(page1.chart[0]!.complete && page1.chart[0]!.width * 2 === page1.chart[0]!.natural, "drawn at twice its shown size");
  assert.ok(!page1.chartAsText, "the chart shows as an image, not as its text");
  assert.ok(page1.tableRows.includes(4) && page1.tableRows.includes(2), `tables: ${page1.tableRows}`);
  assert.match(page1.tableText, /q_proj[\s\S]*EVA/);

  // A new cell at the end gets syntax colours too (it takes the mode name from kernel_info as
  // it is: "typescript" named no CodeMirror 5 mode), and Tab after `sr.models.` offers create.
  const typed = "const made = sr.models.";
  await page.evaluate((text) => {
    const nb = (window as unknown as { Jupyter: { notebook: any } }).Jupyter.notebook;
    nb.select(nb.ncells() - 1);
    nb.insert_cell_below("code").set_text(text);
    nb.select_next();
    nb.edit_mode();
    nb.get_selected_cell().code_mirror.setCursor(0, text.length);
  }, typed);
  await waitFor(
    "syntax colours in a new cell",
    () => document.querySelector(".code_cell.selected .CodeMirror .cm-keyword")?.textContent === "const",
  );
  await page.keyboard.press("Tab");
  await waitFor("completions", () =>
    Array.from(document.querySelectorAll("#complete select option")).some((o) => o.textContent === "create"),
  );
  await screenshot("completion");
});

test("an untrusted notebook shows the chart's PNG, not its text", { timeout: 60_000 }, async () => {
  // Saved outputs render as the notebook opens, before any kernel.
  await openNotebook("untrusted.ipynb", false);
  await waitFor("the saved output", () => document.querySelector(".output_area"));
  await waitFor("images to decode", () =>
    Array.from(document.querySelectorAll(".output_area img")).every((i) => (i as HTMLImageElement).complete),
  );
  const shown = await page.evaluate(() => ({
    trusted: (window as unknown as { Jupyter: { notebook: { trusted: boolean } } }).Jupyter.notebook.trusted,
    images: Array.from(document.querySelectorAll(".output_png img")).map((i) => (i as HTMLImageElement).naturalWidth),
    text: document.querySelector(".output_area")?.textContent ?? "",
  }));
  await screenshot("untrusted");
  assert.equal(shown.trusted, false);
  assert.equal(shown.images.length, 1, `images: ${shown.images}`);
  assert.ok(shown.images[0]! > 0, "the PNG decoded");
  assert.ok(!/Vega-Lite chart/.test(shown.text), shown.text);
});
