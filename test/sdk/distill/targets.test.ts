// The teacher's top-k targets: what is stored equals the teacher's log-softmax at the counted
// positions, the cache answers the same call from disk (one safetensors file, no temporary left
// behind), and its key changes with the teacher's weights, the batches and k.

import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { readdir } from "node:fs/promises";
import { countedPositions, teacherTargets } from "../../../sdk/distill/index.js";
import { readSafetensorsHeader } from "../../../sdk/io/safetensors.js";
import { checkBatch, type Batch } from "../../../sdk/train/data.js";
import { batches, tempDir, tinyTeacher, useWasm } from "./helpers.js";

before(useWasm);

const labelled = (bs: Batch[]) => bs.map((b) => ({ ...b, ...checkBatch(b, 24, "test") }));

test("counted positions are those whose next label is not -100", () => {
  const { positions, next } = countedPositions([
    [5, -100, 7, 8],
    [-100, -100, -100, 3],
  ]);
  assert.deepEqual([...positions], [1, 2, 6]);
  assert.deepEqual([...next], [7, 8, 3]);
});

test("targets are the teacher's top-k log-probabilities at the counted positions, with the tail's log mass", async (t) => {
  const teacher = tinyTeacher();
  const bs = labelled(batches(2));
  const dir = await tempDir(t);
  const { targets, cached } = await teacherTargets(teacher, bs, 5, { dir });
  assert.equal(cached, false);
  for (const [i, b] of bs.entries()) {
    const tg = targets[i]!;
    const lp = tf.tidy(() => tf.logSoftmax(teacher.logits(b.ids)).arraySync()) as number[][][];
    const T = b.ids[0]!.length;
    assert.equal(tg.positions.length, b.ids.length * (T / 2), "labels at t >= T/2 make positions T/2 - 1 .. T - 2 count");
    tg.positions.forEach((p, j) => {
      const row = lp[Math.floor(p / T)]![p % T]!;
      const best = row.map((x, v) => [x, v] as const).sort((a, c) => c[0] - a[0]);
      for (let r = 0; r < 5; r++) {
        assert.equal(tg.ids[j * 5 + r], best[r]![1]);
        assert.ok(Math.abs(tg.logp[j * 5 + r]! - best[r]![0]) < 1e-5);
      }
      const rest = Math.log(best.slice(5).reduce((a, [x]) => a + Math.exp(x), 0));
      assert.ok(Math.abs(tg.logRest[j]! - rest) < 1e-4, `tail ${tg.logRest[j]} vs ${rest}`);
    });
  }
  teacher.dispose();
});

test("the cache: the same call reads the file; other weights, batches or k make another key", async (t) => {
  const teacher = tinyTeacher();
  const bs = labelled(batches(3));
  const dir = await tempDir(t);
  const first = await teacherTargets(teacher, bs, 4, { dir });
  let ticks = 0;
  const again = await teacherTargets(teacher, bs, 4, { dir, tick: () => ticks++ });
  assert.equal(again.cached, true);
  assert.equal(ticks, 0, "nothing recomputed");
  assert.equal(again.path, first.path);
  for (const [i, tg] of again.targets.entries()) {
    assert.deepEqual([...tg.ids], [...first.targets[i]!.ids]);
    assert.deepEqual([...tg.logp], [...first.targets[i]!.logp]);
    assert.deepEqual([...tg.logRest], [...first.targets[i]!.logRest]);
  }
  const header = await readSafetensorsHeader(first.path);
  assert.equal(header.metadata.k, "4");
  assert.deepEqual(await readdir(dir), [first.path.split("/").pop()], "one file, no temporary left");
  const otherK = await teacherTargets(teacher, bs, 3, { dir });
  const otherData = await teacherTargets(teacher, labelled(batches(3, 4, 20, 24, 9)), 4, { dir });
  const w = teacher.parameters().get("model.norm.weight")!;
  w.assign(tf.mul(w, 1.01));
  const otherWeights = await teacherTargets(teacher, bs, 4, { dir });
  assert.equal(new Set([first.path, otherK.path, otherData.path, otherWeights.path]).size, 4);
  assert.equal(otherWeights.cached, false);
  teacher.dispose();
});
