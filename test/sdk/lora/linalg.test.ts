// The float64 SVD and QR against numpy (LAPACK) on fixed matrices (tools/lora/make_fixtures.py).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { fromRows, type Matrix, matmul, transpose } from "../../../sdk/lora/linalg/matrix.js";
import { eigh, eighTop } from "../../../sdk/lora/linalg/eigh.js";
import { topSvdByGram } from "../../../sdk/lora/linalg/gram-svd.js";
import { lapack } from "../../../sdk/lora/linalg/lapack.js";
import { qr } from "../../../sdk/lora/linalg/qr.js";
import { svd } from "../../../sdk/lora/linalg/svd.js";

interface Fixture {
  svd: Record<string, { a: number[][]; u: number[][]; s: number[]; vt: number[][] }>;
  qr: Record<string, { a: number[][]; q: number[][]; r: number[][] }>;
  eigh: Record<string, { a: number[][]; values: number[]; vectors: number[][] }>;
}

const fx: Fixture = JSON.parse(readFileSync(fileURLToPath(new URL("../../../../test/fixtures/lora/linalg.json", import.meta.url)), "utf8"));

const maxAbs = (xs: ArrayLike<number>) => Math.max(0, ...Array.from(xs, Math.abs));
function maxDiff(a: Matrix, b: Matrix): number {
  assert.deepEqual([a.rows, a.cols], [b.rows, b.cols]);
  let m = 0;
  for (let i = 0; i < a.data.length; i++) m = Math.max(m, Math.abs(a.data[i] - b.data[i]));
  return m;
}

test("svd: singular values and vectors match numpy on tall, wide, square, rank-deficient and graded matrices", () => {
  for (const [name, c] of Object.entries(fx.svd)) {
    const a = fromRows(c.a);
    const { U, S, V } = svd(a);
    const smax = c.s[0];
    assert.equal(S.length, c.s.length, name);
    c.s.forEach((s, j) => {
      assert.ok(Math.abs(S[j] - s) <= 1e-13 * smax, `${name}: S[${j}] = ${S[j]}, numpy ${s}`);
    });
    // A = U S V^T to float64 precision
    const us = matmul(U!, fromRows(Array.from(S, (s, j) => Array.from(S, (_, k) => (j === k ? s : 0)))));
    assert.ok(maxDiff(matmul(us, transpose(V)), a) <= 1e-13 * smax, `${name}: reconstruction`);
    // orthonormal columns where the singular value is not zero
    const vtv = matmul(transpose(V), V);
    for (let j = 0; j < S.length; j++)
      if (S[j] > 1e-12 * smax) assert.ok(Math.abs(vtv.data[j * S.length + j] - 1) < 1e-12, `${name}: |v_${j}| = 1`);
    // each well-separated singular vector equals numpy's up to sign
    const vt = fromRows(c.vt);
    for (let j = 0; j < S.length; j++) {
      const gap = Math.min(j > 0 ? c.s[j - 1] - c.s[j] : Infinity, j + 1 < c.s.length ? c.s[j] - c.s[j + 1] : Infinity);
      if (c.s[j] < 1e-10 * smax || gap < 1e-6 * smax) continue;
      let dot = 0;
      for (let f = 0; f < V.rows; f++) dot += V.data[f * V.cols + j] * vt.data[j * vt.cols + f];
      assert.ok(Math.abs(Math.abs(dot) - 1) < 1e-10, `${name}: v_${j} . numpy's = ${dot}`);
    }
  }
});

test("svd: U is skipped on request, and equal singular values keep a deterministic order", () => {
  const a = fromRows([
    [2, 0, 0],
    [0, 2, 0],
    [0, 0, 1],
    [0, 0, 0],
  ]);
  const { U, S, V } = svd(a, { u: false });
  assert.equal(U, null);
  assert.deepEqual(Array.from(S), [2, 2, 1]);
  assert.deepEqual(Array.from(svd(a).V.data), Array.from(V.data));
  const zero = svd(fromRows([[0, 0, 0]]));
  assert.deepEqual(Array.from(zero.S), [0]);
});

test("qr: Q and R equal numpy's (LAPACK signs), entry by entry", () => {
  for (const [name, c] of Object.entries(fx.qr)) {
    const a = fromRows(c.a);
    const { Q, R } = qr(a);
    const scale = maxAbs(a.data);
    assert.ok(maxDiff(Q, fromRows(c.q)) <= 1e-13, `${name}: Q differs from numpy's by ${maxDiff(Q, fromRows(c.q))}`);
    assert.ok(maxDiff(R, fromRows(c.r)) <= 1e-13 * scale, `${name}: R differs from numpy's by ${maxDiff(R, fromRows(c.r))}`);
    assert.ok(maxDiff(matmul(Q, R), a) <= 1e-13 * scale, `${name}: Q R = A`);
  }
});

for (const [what, decompose] of [
  ["eigh", (a: Matrix) => eigh(a)],
  ["eighTop, all", (a: Matrix) => eighTop(a, a.rows)],
  ["eighTop, the leading 3", (a: Matrix) => eighTop(a, Math.min(3, a.rows))],
] as const) {
  test(`${what}: eigenvalues and eigenvectors of symmetric matrices match numpy's (repeated values: an orthonormal basis of the same eigenspace)`, () => {
    for (const [name, c] of Object.entries(fx.eigh)) {
      const a = fromRows(c.a);
      const n = a.rows;
      const { values, vectors } = decompose(a);
      assert.equal(values.length, vectors.length);
      const scale = Math.max(1, ...c.values.map(Math.abs));
      values.forEach((v, j) => {
        assert.ok(Math.abs(v - c.values[j]) <= 1e-13 * scale, `${name}: value ${j} = ${v}, numpy ${c.values[j]}`);
      });
      for (let j = 0; j < values.length; j++) {
        for (let q = 0; q <= j; q++) {
          let dot = 0;
          for (let f = 0; f < n; f++) dot += vectors[j][f] * vectors[q][f];
          assert.ok(Math.abs(dot - (q === j ? 1 : 0)) < 1e-12, `${name}: v_${j} . v_${q} = ${dot}`);
        }
        // A v = w v, |v| = 1
        for (let i = 0; i < n; i++) {
          let av = 0;
          for (let f = 0; f < n; f++) av += a.data[i * n + f] * vectors[j][f];
          assert.ok(Math.abs(av - values[j] * vectors[j][i]) <= 1e-12 * scale, `${name}: A v_${j}`);
        }
        const distinct = c.values.every((w, i) => i === j || Math.abs(w - c.values[j]) > 1e-6 * scale);
        if (!distinct) continue;
        let dot = 0;
        for (let f = 0; f < n; f++) dot += vectors[j][f] * c.vectors[j][f];
        assert.ok(Math.abs(Math.abs(dot) - 1) < 1e-10, `${name}: v_${j} . numpy's = ${dot}`);
      }
    }
  });
}

test("topSvdByGram: the leading singular values and right vectors equal numpy's on both orientations, in LAPACK and in JavaScript", () => {
  // the machine this runs on has OpenBLAS (the set-up installs it): the native path must be there
  assert.ok(lapack(), "OpenBLAS's LAPACK (dsyrk, dgemm, dsyevr) loads");
  for (const native of [true, false]) {
    for (const name of ["tall", "wide", "square", "weight", "rank3"]) {
      const c = fx.svd[name];
      const a = fromRows(c.a);
      const k = Math.min(3, c.s.length);
      const { S, Vt } = topSvdByGram(a, k, native);
      const where = `${native ? "LAPACK" : "JavaScript"}, ${name}`;
      for (let j = 0; j < k; j++) {
        assert.ok(Math.abs(S[j] - c.s[j]) <= 1e-12 * c.s[0], `${where}: S[${j}]`);
        let dot = 0;
        for (let f = 0; f < Vt[j].length; f++) dot += Vt[j][f] * c.vt[j][f];
        assert.ok(Math.abs(Math.abs(dot) - 1) < 1e-10, `${where}: v_${j}`);
      }
    }
  }
  assert.throws(() => topSvdByGram(fromRows([[1, 2]]), 2), /topSvdByGram: k = 2: expected 1 \.\. min\(1, 2\)/);
});

test("topSvdByGram: LAPACK and JavaScript agree at incremental PCA's sizes (97 x 128 and 400 x 64, k = 16)", () => {
  let seed = 7;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31 - 0.5;
  };
  for (const [m, n] of [
    [97, 128],
    [400, 64],
  ]) {
    // graded columns, so the 16 leading values are distinct
    const a = fromRows(Array.from({ length: m }, () => Array.from({ length: n }, (_, f) => rand() * (1 + 20 / (1 + f)))));
    const js = topSvdByGram(a, 16, false);
    const na = topSvdByGram(a, 16, true);
    for (let j = 0; j < 16; j++) {
      assert.ok(Math.abs(na.S[j] - js.S[j]) <= 1e-10 * js.S[0], `[${m}, ${n}] S[${j}]: ${na.S[j]} vs ${js.S[j]}`);
      let dot = 0;
      for (let f = 0; f < n; f++) dot += na.Vt[j][f] * js.Vt[j][f];
      assert.ok(Math.abs(Math.abs(dot) - 1) < 1e-8, `[${m}, ${n}] v_${j}: |cos| = ${Math.abs(dot)}`);
    }
  }
});
