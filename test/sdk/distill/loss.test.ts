// Stage II's loss against a float64 oracle written from the definitions (both tails, k below and at
// the vocabulary), zero KL for a student equal to its teacher, and its gradient against central
// differences of the oracle.

import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { distillLoss, distillTerms, type BatchTargets } from "../../../sdk/distill/index.js";
import { useWasm } from "./helpers.js";
import { rng } from "../xlstm/helpers.js";

before(useWasm);

const logSoftmax64 = (row: ArrayLike<number>): number[] => {
  const m = Math.max(...Array.from(row));
  const z = Array.from(row).reduce((a, x) => a + Math.exp(x - m), 0);
  return Array.from(row, (x) => x - m - Math.log(z));
};

/** Targets from teacher logits [n, V] (float64): top-k by probability, the tail's log mass. */
function targetsFrom(teacher: number[][], next: number[], k: number): BatchTargets {
  const n = teacher.length;
  const ids = new Int32Array(n * k);
  const logp = new Float32Array(n * k);
  const logRest = new Float32Array(n);
  teacher.forEach((row, i) => {
    const lp = logSoftmax64(row);
    const order = lp.map((_, j) => j).sort((a, b) => lp[b]! - lp[a]!);
    let mass = 0;
    for (let j = 0; j < k; j++) {
      ids[i * k + j] = order[j]!;
      logp[i * k + j] = lp[order[j]!]!;
      mass += Math.exp(lp[order[j]!]!);
    }
    logRest[i] = Math.max(-80, Math.log1p(-Math.min(1, mass)));
  });
  return { positions: Int32Array.from({ length: n }, (_, i) => i), next: Int32Array.from(next), ids, logp, logRest, k };
}

/** The loss from the definitions, in float64: the student's rows [n, V]. */
function oracle(student: number[][], t: BatchTargets, tail: "bucket" | "renormalize", gamma: number, beta: number): number {
  const { k } = t;
  let ce = 0;
  let kl = 0;
  student.forEach((row, i) => {
    const lp = logSoftmax64(row);
    ce -= lp[t.next[i]!]!;
    const top = Array.from({ length: k }, (_, j) => t.ids[i * k + j]!);
    const pT = top.map((_, j) => Math.exp(t.logp[i * k + j]!));
    const pS = top.map((v) => Math.exp(lp[v]!));
    if (tail === "renormalize") {
      const zT = pT.reduce((a, b) => a + b, 0);
      const zS = pS.reduce((a, b) => a + b, 0);
      kl += pT.reduce((a, p, j) => a + (p / zT) * Math.log(p / zT / (pS[j]! / zS)), 0);
    } else {
      kl += pT.reduce((a, p, j) => a + p * Math.log(p / pS[j]!), 0);
      const rT = 1 - pT.reduce((a, b) => a + b, 0);
      const rS = 1 - pS.reduce((a, b) => a + b, 0);
      if (k < row.length && rT > 1e-30) kl += rT * Math.log(rT / rS); // k = V: no tail
    }
  });
  return (gamma * ce + beta * kl) / student.length;
}

function random(n: number, V: number, seed: number, scale = 2): number[][] {
  const r = rng(seed);
  return Array.from({ length: n }, () => Array.from(r.normals(V, scale)));
}

for (const tail of ["bucket", "renormalize"] as const) {
  for (const k of [3, 9]) {
    test(`${tail}, top-${k} of 9: the loss equals the float64 oracle; its gradient equals central differences`, (t) => {
      const [n, V] = [5, 9];
      const teacher = random(n, V, 1);
      const student = random(n, V, 2);
      const next = [0, 4, 8, 2, 6];
      const tg = targetsFrom(teacher, next, k);
      const o = { gamma: 0.9, beta: 0.1, tail };
      const logits = tf.tensor3d(student.flat(), [1, n, V]);
      const got = distillLoss(logits, tg, o).dataSync()[0]!;
      const want = oracle(student, tg, tail, 0.9, 0.1);
      t.diagnostic(`loss ${got} vs ${want}`);
      assert.ok(Math.abs(got - want) <= 1e-5 * Math.max(1, Math.abs(want)), `loss ${got} vs oracle ${want}`);
      const g = tf
        .grad((x: tf.Tensor) => distillLoss(x as tf.Tensor3D, tg, o))(logits)
        .dataSync();
      const h = 1e-5;
      for (let i = 0; i < n * V; i += 4) {
        const plus = student.map((r) => [...r]);
        const minus = student.map((r) => [...r]);
        plus[Math.floor(i / V)]![i % V]! += h;
        minus[Math.floor(i / V)]![i % V]! -= h;
        const fd = (oracle(plus, tg, tail, 0.9, 0.1) - oracle(minus, tg, tail, 0.9, 0.1)) / (2 * h);
        assert.ok(Math.abs(g[i]! - fd) <= 1e-4 + 1e-3 * Math.abs(fd), `d/dlogit[${i}]: ${g[i]} vs ${fd}`);
      }
      logits.dispose();
    });
  }
}

test("a student equal to its teacher has zero KL under both tails; with k = V the tails agree with the full KL", () => {
  const [n, V] = [4, 7];
  const teacher = random(n, V, 3);
  for (const k of [2, 7]) {
    const tg = targetsFrom(teacher, [1, 2, 3, 4], k);
    for (const tail of ["bucket", "renormalize"] as const) {
      const kl = tf.tidy(() => distillTerms(tf.tensor3d(teacher.flat(), [1, n, V]), tg, tail).kl.dataSync());
      for (const x of kl) assert.ok(Math.abs(x) < 1e-5, `${tail}, k ${k}: KL ${x}`);
    }
  }
  const student = random(n, V, 4);
  const full = targetsFrom(teacher, [0, 0, 0, 0], V);
  const terms = (tail: "bucket" | "renormalize") =>
    tf.tidy(() => Array.from(distillTerms(tf.tensor3d(student.flat(), [1, n, V]), full, tail).kl.dataSync()));
  const b = terms("bucket");
  const r = terms("renormalize");
  b.forEach((x, i) => {
    const pT = logSoftmax64(teacher[i]!).map(Math.exp);
    const lS = logSoftmax64(student[i]!);
    const want = pT.reduce((a, p, v) => a + p * (Math.log(p) - lS[v]!), 0);
    assert.ok(Math.abs(x - want) < 1e-4 && Math.abs(r[i]! - want) < 1e-4, `row ${i}: ${x}, ${r[i]} vs ${want}`);
  });
});

test("only counted positions enter the loss; a batch with none gives 0 with a gradient path", () => {
  const V = 5;
  const logits = tf.tensor3d(random(6, V, 5).flat(), [2, 3, V]);
  const none: BatchTargets = {
    positions: new Int32Array(0),
    next: new Int32Array(0),
    ids: new Int32Array(0),
    logp: new Float32Array(0),
    logRest: new Float32Array(0),
    k: 2,
  };
  assert.equal(distillLoss(logits, none, { gamma: 0.9, beta: 0.1, tail: "bucket" }).dataSync()[0], 0);
  const g = tf.grad((x: tf.Tensor) => distillLoss(x as tf.Tensor3D, none, { gamma: 0.9, beta: 0.1, tail: "bucket" }))(logits);
  assert.deepEqual(g.shape, [2, 3, V]);
  tf.dispose([logits, g]);
});
