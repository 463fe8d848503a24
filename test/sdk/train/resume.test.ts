// Kill a training process after a checkpoint; a new process resumes it and continues the same
// loss trajectory as an uninterrupted run.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const child = fileURLToPath(new URL("./resume-child.js", import.meta.url));
const run = (...args: string[]) => spawnSync(process.execPath, [child, "train", ...args], { encoding: "utf8", timeout: 60_000 });

test("a run killed (SIGKILL) after a checkpoint resumes on the same loss trajectory", async (t) => {
  const root = await mkdtemp(join(tmpdir(), "stillroom-resume-"));
  t.after(() => rm(root, { recursive: true, force: true }));
  const full = run(join(root, "a"));
  assert.equal(full.status, 0, full.stderr);
  const want = JSON.parse(full.stdout);

  const killed = run(join(root, "b"), "10");
  assert.equal(killed.signal, "SIGKILL", `status ${killed.status} ${killed.stderr}`);
  assert.ok((await readdir(join(root, "b"))).includes("step-0000008"));

  const resumed = run(join(root, "b"));
  assert.equal(resumed.status, 0, resumed.stderr);
  const got = JSON.parse(resumed.stdout);
  assert.equal(got.resumedFrom, 8);
  assert.equal(got.steps, 12);
  assert.equal(got.loss.length, 12);
  got.loss.forEach((l: number, i: number) => {
    assert.ok(Math.abs(l - want.loss[i]) <= 1e-5, `step ${i + 1}: ${l} vs ${want.loss[i]}`);
  });

  const again = run(join(root, "b"));
  assert.deepEqual(JSON.parse(again.stdout).loss, got.loss, "a finished run resumes to the same history without training");
});
