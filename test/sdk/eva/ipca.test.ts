// Incremental PCA against a numpy float64 reference of the same algorithm and against numpy's full
// PCA of every row seen (tools/eva/make_fixtures.py).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { before, test } from "node:test";
import { fileURLToPath } from "node:url";
import * as tf from "@tensorflow/tfjs-core";
import { IncrementalPCA } from "../../../sdk/eva/ipca.js";
import { useCpu } from "../models/helpers.js";

before(useCpu);

interface Step {
  rows: number;
  components: number[][];
  singular_values: number[];
  explained_variance_ratio: number[];
  mean: number[];
  var: number[];
  full_components: number[][];
  full_singular_values: number[];
}
interface Case {
  x: number[][];
  sizes: number[];
  k: number;
  steps: Step[];
}
const fx: Record<string, Case> = JSON.parse(
  readFileSync(fileURLToPath(new URL("../../../../test/fixtures/eva/ipca.json", import.meta.url)), "utf8"),
);

function close(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(a.length, b.length, what);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= tol, `${what}[${i}]: ${a[i]} vs ${b[i]}`);
}

/** Largest principal angle (radians) between the row spaces of two sets of orthonormal rows. */
function largestAngle(a: ArrayLike<number>[], b: ArrayLike<number>[]): number {
  // the smallest singular value of A B^T is cos(largest angle); for a few rows, via the Gram determinant is
  // fragile, so project: max over a's rows of the distance to span(b)
  let worst = 0;
  for (const x of a) {
    let inside = 0;
    for (const y of b) {
      let d = 0;
      for (let i = 0; i < x.length; i++) d += x[i] * y[i];
      inside += d * d;
    }
    worst = Math.max(worst, Math.sqrt(Math.max(0, 1 - inside)));
  }
  return Math.asin(Math.min(1, worst));
}

function run(c: Case, each: (ipca: IncrementalPCA, step: Step) => void): void {
  const ipca = new IncrementalPCA(c.k);
  let at = 0;
  c.sizes.forEach((size, i) => {
    ipca.partialFit(c.x.slice(at, at + size));
    at += size;
    each(ipca, c.steps[i]);
  });
}

test("partialFit equals the float64 reference algorithm batch by batch (components, singular values, ratios, mean, variance)", () => {
  for (const [name, c] of Object.entries(fx)) {
    run(c, (ipca, s) => {
      const smax = s.singular_values[0];
      assert.equal(ipca.nSamplesSeen, s.rows);
      // singular values are resolved down to ~sqrt(eps) S[0] (the Gram route): zero ones come out below 1e-7 S[0]
      s.singular_values.forEach((want, j) => {
        const got = ipca.singularValues[j];
        if (want > 1e-6 * smax) assert.ok(Math.abs(got - want) <= 1e-10 * smax, `${name} S[${j}] after ${s.rows} rows: ${got} vs ${want}`);
        else assert.ok(got < 1e-7 * smax, `${name} S[${j}] = ${got}: expected ~0 (numpy ${want})`);
      });
      close(ipca.explainedVarianceRatio, s.explained_variance_ratio, 1e-10, `${name} ratio`);
      close(ipca.mean!, s.mean, 1e-12, `${name} mean`);
      close(ipca.variance!, s.var, 1e-10, `${name} var`);
      // the sign convention included: each component equals the reference's, not only up to sign
      s.components.forEach((row, j) => {
        if (s.singular_values[j] > 1e-8 * smax) close(ipca.components[j], row, 1e-8, `${name} component ${j}`);
      });
    });
  }
});

test("rows spanning at most k dimensions: the incremental subspace is the full PCA's after every batch (angles < 1e-3)", () => {
  const c = fx.low_rank;
  run(c, (ipca, s) => {
    const rank = 3; // the fixture's rows span 3 directions; k = 4
    const angle = largestAngle(ipca.components.slice(0, rank), s.full_components.slice(0, rank));
    assert.ok(angle < 1e-3, `largest angle ${angle} after ${s.rows} rows`);
    close(ipca.singularValues.slice(0, rank), s.full_singular_values.slice(0, rank), 1e-8 * s.full_singular_values[0], "S");
  });
});

test("full-rank rows: how close the incremental top-k subspace stays to the full PCA's (measured, bounded)", () => {
  const c = fx.full_rank;
  const angles: number[] = [];
  run(c, (ipca, s) => {
    angles.push(largestAngle(ipca.components, s.full_components));
  });
  // the discarded directions carry little variance here (geometric scales 4 .. 0.05), so the
  // approximation stays within a few degrees; the numbers are printed for the record
  console.log(
    `full-rank incremental PCA, largest principal angle per batch (degrees): ${angles.map((a) => ((a * 180) / Math.PI).toFixed(3)).join(", ")}`,
  );
  for (const a of angles) assert.ok(a < 0.1, `angle ${a} rad`);
});

test("partialFit takes tensors and arrays alike, is deterministic, and leaves no tensors behind", () => {
  const c = fx.full_rank;
  const a = new IncrementalPCA(3);
  const b = new IncrementalPCA(3);
  const before = tf.memory().numTensors;
  for (let at = 0; at < 150; at += 50) {
    const t = tf.tensor2d(c.x.slice(at, at + 50));
    a.partialFit(t);
    t.dispose();
    b.partialFit(c.x.slice(at, at + 50));
  }
  assert.equal(tf.memory().numTensors, before);
  // float32 tensors against float64 rows: equal to float32 precision
  a.components.forEach((row, j) => {
    close(row, b.components[j], 1e-5, `component ${j}`);
  });
  const again = new IncrementalPCA(3);
  for (let at = 0; at < 150; at += 50) again.partialFit(c.x.slice(at, at + 50));
  assert.deepEqual(again.components, b.components);
  const comps = b.componentsTensor();
  assert.deepEqual(comps.shape, [3, 10]);
  comps.dispose();
});

test("bad input names the field: k, batch size, feature count, non-finite values", () => {
  assert.throws(() => new IncrementalPCA(0), /IncrementalPCA: nComponents = 0: expected an integer >= 1/);
  const p = new IncrementalPCA(3);
  assert.throws(
    () =>
      p.partialFit([
        [1, 2, 3, 4],
        [1, 2, 3, 5],
      ]),
    /x\.shape\[0\] = 2: expected at least nComponents = 3 rows in a batch/,
  );
  assert.throws(() => new IncrementalPCA(5).partialFit([[1, 2, 3, 4]]), /nComponents = 5: expected at most the 4 features of a row/);
  const rows = [
    [1, 2, 3, 4],
    [2, 1, 0, 4],
    [0, 5, 3, 1],
  ];
  p.partialFit(rows);
  assert.throws(() => p.partialFit(rows.map((r) => r.slice(1))), /x\.shape\[1\] = 3: expected 4 features, as in the first batch/);
  assert.throws(() => p.partialFit([...rows.slice(0, 2), [0, Number.NaN, 1, 1]]), /x\[2\]\[1\] = NaN: expected a finite number/);
  assert.throws(
    () =>
      p.partialFit([
        [1, 2, 3, 4],
        [1, 2],
      ] as number[][]),
    /x\[1\]\.length = 2: expected 4 like x\[0\]/,
  );
});
