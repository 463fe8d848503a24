// Gradients through the mLSTM forms (tf.grads with respect to q, k, v and both gates): they agree
// with each other at the reference's sizes and under extreme gates, and with central finite
// differences of the float64 oracle on a tiny case.
//
// The stabiliser m carries no gradient (sdk/xlstm/decay.ts): the forms' gradient is that of h with m
// held where it is. Finite differences of exactly that function are the strict check (1e-4); against
// finite differences of h with m moving too, the forms differ by the eps exp(m) term's share alone.

import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { mlstmChunkwise, mlstmParallel, mlstmRecurrent, type MlstmOptions } from "../../../sdk/xlstm/index.js";
import {
  type Case,
  closeness,
  type Dims,
  finiteDifferences,
  type GateDraw,
  maxAbs,
  mlstmOracle,
  randomCase,
  rng,
  tensors,
  useWasm,
} from "./helpers.js";

before(useWasm);

type Form = "parallel" | "chunkwise" | "recurrent";
const NAMES = ["q", "k", "v", "i", "f"] as const;

/** d sum(h * r) / d (q, k, v, i, f) through one form, as flat arrays. */
function gradients(form: Form, c: Case, r: Float32Array, opts: MlstmOptions, chunkSize: number): Float32Array[] {
  const x = tensors(c);
  const R = tf.tensor4d(r, [c.B, c.H, c.S, c.V]);
  const before = tf.memory().numTensors;
  const loss = (q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, i: tf.Tensor, f: tf.Tensor) => {
    const args = [q, k, v, i, f] as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D, tf.Tensor3D, tf.Tensor3D];
    const h =
      form === "parallel"
        ? mlstmParallel(...args, opts)
        : form === "chunkwise"
          ? mlstmChunkwise(...args, { ...opts, chunkSize })
          : mlstmRecurrent(...args, opts);
    return tf.sum(tf.mul(h, R));
  };
  const grads = tf.grads(loss)([x.q, x.k, x.v, x.i, x.f]);
  const out = grads.map((g) => g.dataSync() as Float32Array);
  tf.dispose(grads);
  assert.equal(tf.memory().numTensors, before, `${form}: the gradient leaves no tensors behind`);
  tf.dispose([R, ...(Object.values(x) as tf.Tensor[])]);
  return out;
}

function expectGradsAgree(
  t: { diagnostic: (s: string) => void },
  label: string,
  got: ArrayLike<number>[],
  want: ArrayLike<number>[],
  tol: number,
) {
  NAMES.forEach((n, j) => {
    const err = closeness(got[j]!, want[j]!, 0, 0).maxAbs / maxAbs(want[j]!);
    t.diagnostic(`${label}, d/d${n}: max abs err / max |ref| = ${err.toExponential(2)}`);
    assert.ok(err <= tol, `${label}: gradient of ${n} off by ${err.toExponential(2)} of its largest entry (tolerance ${tol})`);
  });
}

function agree(
  t: { diagnostic: (s: string) => void },
  d: Dims,
  seed: number,
  gates: GateDraw,
  opts: MlstmOptions,
  chunkSize: number,
  tol: Record<"chunkwise" | "recurrent", number>,
) {
  const c = randomCase(d, seed, gates);
  const r = rng(seed + 1000).normals(d.B * d.H * d.S * d.V);
  const par = gradients("parallel", c, r, opts, chunkSize);
  for (const form of ["chunkwise", "recurrent"] as const) {
    expectGradsAgree(t, `S = ${d.S}: ${form} vs parallel`, gradients(form, c, r, opts, chunkSize), par, tol[form]);
  }
}

test("gradients of the three forms agree: N(0, 1) inputs at S = 256, Dqk = 64, Dv = 128", (t) => {
  agree(t, { B: 1, H: 1, S: 256, K: 64, V: 128 }, 21, {}, {}, 64, { chunkwise: 1e-4, recurrent: 1e-4 });
});

test("gradients agree under extreme gates (|x| up to 30), padding, and the zero start of m", (t) => {
  const d = { B: 1, H: 2, S: 100, K: 16, V: 16 };
  // Extreme gates let one token dominate q.C and q.n. Where that token's key is nearly orthogonal
  // to the query, h ~ +-v_s is a ratio of two small dot products and dh/dq the difference of two
  // large terms. The parallel and chunkwise forms compute q.k_s once for numerator and normaliser;
  // the recurrent form reads it out of C and n separately, each rounded on its own, so its dq and
  // dk are off by up to ~5e-3 of the largest entry at such positions (seed 22: one entry of 3,200,
  // checked against float64 finite differences). The training forms are held to 1e-4.
  agree(t, d, 22, { i: { lo: -30, hi: 30 }, f: { lo: -30, hi: 30 } }, {}, 32, { chunkwise: 1e-4, recurrent: 1e-2 });
  agree(t, d, 23, { f: { shift: 3 } }, { mInit: "zero" }, 32, { chunkwise: 1e-4, recurrent: 1e-4 });
  agree(t, d, 24, { i: { scale: 20 }, f: { scale: 20 } }, { gateSoftCap: 15 }, 32, { chunkwise: 1e-4, recurrent: 1e-4 });
});

test("gradients match central finite differences of the float64 oracle (tiny case)", (t) => {
  const d = { B: 1, H: 2, S: 7, K: 3, V: 2 };
  for (const [label, gates, opts] of [
    ["N(0, 1)", {}, {}],
    ["m from zero", { f: { shift: 1 } }, { mInit: "zero" }],
    ["soft-capped N(0, 20)", { i: { scale: 20 }, f: { scale: 20 } }, { gateSoftCap: 15 }],
    ["extreme U(-30, 30)", { i: { lo: -30, hi: 30 }, f: { lo: -30, hi: 30 } }, {}],
    ["extreme U(-30, 30), eps 0", { i: { lo: -30, hi: 30 }, f: { lo: -30, hi: 30 } }, { eps: 0 }],
  ] as [string, GateDraw, MlstmOptions][]) {
    const c = randomCase(d, 31, gates);
    const r = rng(32).normals(d.B * d.H * d.S * d.V);
    const fixedM = mlstmOracle(c, opts).mRows;
    const lossFixedM = (x: Case) => mlstmOracle(x, { ...opts, fixedM }).h.reduce((a, h, j) => a + h * r[j]!, 0);
    const lossMoving = (x: Case) => mlstmOracle(x, opts).h.reduce((a, h, j) => a + h * r[j]!, 0);
    const fdFixed = finiteDifferences(c, lossFixedM);
    const fdMoving = finiteDifferences(c, lossMoving);
    for (const form of ["parallel", "chunkwise", "recurrent"] as const) {
      // chunks of 3 over 7 tokens: two full chunks and a padded one
      const g = gradients(form, c, r, opts, 3);
      expectGradsAgree(
        t,
        `${label}: ${form} vs finite differences, m held`,
        g,
        NAMES.map((n) => fdFixed[n]),
        1e-4,
      );
      expectGradsAgree(
        t,
        `${label}: ${form} vs finite differences, m moving`,
        g,
        NAMES.map((n) => fdMoving[n]),
        1e-3,
      );
    }
  }
});
