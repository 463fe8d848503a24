// A kernel with the language service on: type warnings, strict mode, typed completion and hover,
// and imports resolved from the notebook's own folder.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { KernelClient, type Reply } from "../../kernel/client.js";

let kernel: KernelClient;
let folder: string;

function writePackage(name: string, files: Record<string, string>): void {
  const dir = join(folder, "node_modules", name);
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
}

/** The stderr a cell's request has received so far, in or after its reply. */
function stderrOf(client: KernelClient, r: Reply): string {
  const id = (r.reply.parent_header as { msg_id?: string }).msg_id;
  return client.iopubLog
    .filter((m) => (m.parent_header as { msg_id?: string }).msg_id === id && m.header.msg_type === "stream" && m.content.name === "stderr")
    .map((m) => m.content.text)
    .join("");
}

/**
 * A cell's type warnings: they may follow its reply, and come before the answer to any later
 * request that is not an execute_request, so a comm_info_request brings them all.
 */
async function warnings(r: Reply, client = kernel): Promise<string> {
  await client.request("shell", "comm_info_request", {});
  return stderrOf(client, r);
}

const result = (r: Reply) => r.outputs.find((o) => o.header.msg_type === "execute_result")?.content.data["text/plain"];

before(async () => {
  folder = mkdtempSync(join(tmpdir(), "stillroom-notebook-"));
  writePackage("legacy-cjs", {
    "package.json": JSON.stringify({ name: "legacy-cjs", version: "1.0.0", main: "index.js" }),
    "index.js": "exports.twice = (x) => 2 * x; module.exports.kind = 'cjs';",
  });
  writePackage("modern-esm", {
    "package.json": JSON.stringify({ name: "modern-esm", version: "1.0.0", type: "module", exports: { ".": { import: "./index.js" } } }),
    "index.js": "export const thrice = (x) => 3 * x; export default 'esm';",
  });
  writeFileSync(join(folder, "local.mjs"), "export const here = 'local module';");
  kernel = await KernelClient.start({ cwd: folder, args: ["--typecheck", "warn"], stderr: "ignore" });
  // Wait until the language service is answering (it loads in its own worker).
  for (let i = 0; i < 120; i++) {
    const r = await kernel.request("shell", "complete_request", { code: "Math.ma", cursor_pos: 7 });
    const probe = await kernel.execute("const probe: number = 'not a number'", { storeHistory: false, silent: true });
    if ((r.reply.content.matches as string[]).includes("max") && probe) {
      const warned = await kernel.execute("const probe2: number = 'x'");
      if ((await warnings(warned)).includes("warning")) break;
    }
    await new Promise((res) => setTimeout(res, 500));
  }
});
after(async () => {
  await kernel.shutdown();
  rmSync(folder, { recursive: true, force: true });
});

test("a type error is a warning naming the cell line, and the cell still runs", async () => {
  const r = await kernel.execute("let fine = 1\nlet count: number = 'three'\ncount");
  assert.equal(r.reply.content.status, "ok");
  assert.match(await warnings(r), /^warning: line 2: .*not assignable to type 'number'/);
  assert.equal(result(r), "'three'");
});

test("valid code gives no warnings, across cells and redeclarations", async () => {
  await kernel.execute("class Point { constructor(public x: number, public y: number) {} }");
  const r = await kernel.execute("const p = new Point(1, 2)\nconst total: number = p.x + p.y\ntotal");
  assert.equal(await warnings(r), "");
  const again = await kernel.execute("const p = 'now a string'\np.toUpperCase()");
  assert.equal(await warnings(again), "");
  assert.equal(result(again), "'NOW A STRING'");
});

test("a cell run again is warned again, and a declaration in between changes its warnings", async () => {
  // each cell's check done before the next (a cell that comes while one is checked goes unchecked)
  await warnings(await kernel.execute("let shade = 'teal'"));
  const first = await kernel.execute("shade * 2");
  assert.match(await warnings(first), /left-hand side of an arithmetic operation/);
  await warnings(await kernel.execute("1 + 1"));
  const again = await kernel.execute("shade * 2");
  assert.match(await warnings(again), /left-hand side of an arithmetic operation/);
  await warnings(await kernel.execute("let shade = 0.5"));
  const retyped = await kernel.execute("shade * 2");
  assert.equal(await warnings(retyped), "");
  assert.equal(result(retyped), "1");
});

test("completion lists typed members of user classes and of tf", async () => {
  await kernel.execute("class Meter { reading = 0; calibrate(): void {} }\nconst meter = new Meter()");
  const code = "meter.ca";
  const r = await kernel.request("shell", "complete_request", { code, cursor_pos: code.length });
  assert.deepEqual(r.reply.content.matches, ["calibrate"]);
  assert.equal(r.reply.content.cursor_start, 6);
  const tfCode = "tf.matM";
  const t = await kernel.request("shell", "complete_request", { code: tfCode, cursor_pos: tfCode.length });
  assert.ok((t.reply.content.matches as string[]).includes("matMul"));
});

test("inspect shows the signature and doc comment", async () => {
  await kernel.execute("/** Scales a value by the golden ratio. */\nfunction golden(x: number): number { return x * 1.618 }");
  const code = "golden(2)";
  const r = await kernel.request("shell", "inspect_request", { code, cursor_pos: 3, detail_level: 0 });
  assert.equal(r.reply.content.found, true);
  assert.match(r.reply.content.data["text/plain"], /golden\(x: number\): number/);
  assert.match(r.reply.content.data["text/markdown"], /golden ratio/);
});

test("imports resolve CommonJS and ESM packages from the notebook's folder", async () => {
  const r = await kernel.execute(
    "import cjs, { twice } from 'legacy-cjs'\nimport esm, { thrice } from 'modern-esm'\nimport { here } from './local.mjs'\n`${twice(2)} ${cjs.kind} ${thrice(2)} ${esm} ${here}`",
  );
  assert.equal(r.reply.content.status, "ok", JSON.stringify(r.reply.content));
  assert.equal(result(r), "'4 cjs 6 esm local module'");
  const dynamic = await kernel.execute("const m = await import('modern-esm'); m.thrice(3)");
  assert.equal(result(dynamic), "9");
  const own = await kernel.execute("const vl = await import('vega-lite'); typeof vl.compile");
  assert.equal(result(own), "'function'", "the kernel's own dependencies resolve too");
  const missing = await kernel.execute("import 'no-such-package-anywhere'");
  assert.equal(missing.reply.content.status, "error");
  assert.match(String(missing.reply.content.evalue), /Cannot find module 'no-such-package-anywhere'/);
});

test("cells run before the language service has loaded get their warnings when it has, checked in order", async () => {
  const fresh = await KernelClient.start({ args: ["--typecheck", "warn"], stderr: "ignore" });
  try {
    // Straight after start-up: the service is still loading TypeScript in its worker.
    const first = await fresh.execute("const n: number = 'seven'");
    assert.equal(first.reply.content.status, "ok");
    // Checked after the first cell was added (its n is redeclared), before the third.
    const second = await fresh.execute("const n = 'a string now'\nconst s: string = n\nconst later = 1");
    const third = await fresh.execute("let k: string = later");
    const until = Date.now() + 120_000;
    while (!stderrOf(fresh, third) && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
    assert.match(stderrOf(fresh, first), /^warning: line 1: Type 'string' is not assignable to type 'number'\. \(TS2322\)\n$/);
    assert.match(stderrOf(fresh, third), /^warning: line 1: Type 'number' is not assignable to type 'string'\. \(TS2322\)\n$/);
    assert.equal(await warnings(second, fresh), "");
  } finally {
    await fresh.shutdown();
  }
});

test("strict mode refuses to run a cell with type errors", async () => {
  const strict = await KernelClient.start({ args: ["--typecheck", "strict"], stderr: "ignore" });
  try {
    // The very first cell is checked: strict mode waits for the language service to load.
    const r = await strict.execute("console.log('ran anyway'); const n: number = 'text'", { stopOnError: false });
    assert.equal(r.reply.content.status, "error");
    assert.match(String(r.reply.content.evalue), /not assignable/);
    assert.ok(!r.outputs.some((o) => o.header.msg_type === "stream"), "the cell did not run");
    const fine = await strict.execute("const ok: number = 1; ok + 1");
    assert.equal(result(fine), "2");
  } finally {
    await strict.shutdown();
  }
});
