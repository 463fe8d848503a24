import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { isAbsolute, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const MAIN = fileURLToPath(new URL("../../kernel/main.js", import.meta.url));

function stillroom(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [MAIN, ...args], { encoding: "utf8", env: { ...process.env, ...env } });
}

test("install --prefix writes a kernelspec with an absolute argv, message interrupts and logos", () => {
  const prefix = mkdtempSync(join(tmpdir(), "stillroom-prefix-"));
  try {
    const run = stillroom(["install", "--prefix", prefix, "--name", "ts-test"]);
    assert.equal(run.status, 0, run.stderr);
    const dir = join(prefix, "share", "jupyter", "kernels", "ts-test");
    const spec = JSON.parse(readFileSync(join(dir, "kernel.json"), "utf8"));
    assert.equal(spec.language, "typescript");
    assert.equal(spec.interrupt_mode, "message");
    assert.ok(isAbsolute(spec.argv[0]) && isAbsolute(spec.argv[1]));
    assert.deepEqual(spec.argv.slice(2), ["kernel", "{connection_file}"]);
    for (const logo of ["logo-32x32.png", "logo-64x64.png", "logo-svg.svg"]) assert.ok(existsSync(join(dir, logo)), logo);
  } finally {
    rmSync(prefix, { recursive: true, force: true });
  }
});

test("install --user honours JUPYTER_DATA_DIR", () => {
  const data = mkdtempSync(join(tmpdir(), "stillroom-data-"));
  try {
    assert.equal(stillroom(["install", "--user"], { JUPYTER_DATA_DIR: data }).status, 0);
    assert.ok(existsSync(join(data, "kernels", "stillroom", "kernel.json")));
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
});

test("bad install options are refused with a message naming them", () => {
  const both = stillroom(["install", "--user", "--prefix", "/tmp/x"]);
  assert.equal(both.status, 2);
  assert.match(both.stderr, /choose one of --user, --sys-prefix and --prefix \(got --user and --prefix\)/);
  const badName = stillroom(["install", "--prefix", "/tmp/x", "--name", "no/slashes"]);
  assert.equal(badName.status, 2);
  assert.match(badName.stderr, /--name "no\/slashes"/);
  const missing = stillroom(["install", "--prefix"]);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /--prefix needs a value/);
});

test("install --name '..' or '.' is refused and writes nothing outside the kernels folder", () => {
  const prefix = mkdtempSync(join(tmpdir(), "stillroom-install-"));
  try {
    for (const name of ["..", ".", "..."]) {
      const run = stillroom(["install", "--prefix", prefix, "--name", name]);
      assert.equal(run.status, 2, name);
      assert.match(run.stderr, /a kernel name cannot be only dots/);
    }
    assert.ok(!existsSync(join(prefix, "share", "jupyter", "kernel.json")));
    assert.ok(!existsSync(join(prefix, "share", "jupyter", "kernels", "kernel.json")));
  } finally {
    rmSync(prefix, { recursive: true, force: true });
  }
});

test("kernel refuses a missing or malformed connection file", () => {
  const missing = stillroom(["kernel", "/nonexistent/connection.json"]);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /connection file \/nonexistent\/connection.json/);
  const usage = stillroom(["frobnicate"]);
  assert.equal(usage.status, 2);
  assert.match(usage.stderr, /unknown command "frobnicate"; the commands are kernel, install, run/);
});
