// Golden numbers from the PyTorch reference (tools/reference/mlstm.py, float64; regenerate with
// tools/reference/make_mlstm_fixtures.py): every mLSTM form's outputs, final state and gradients,
// with the stabiliser starting at 0 (NX-AI's recurrent and chunkwise kernels) and at -inf, and the
// hybrid attention's pieces.

import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { readSafetensors } from "../../../sdk/io/safetensors.js";
import {
  featureMap,
  hybridAttention,
  mlstmChunkwise,
  mlstmParallel,
  mlstmRecurrent,
  type MlstmOptions,
  slidingWindowAttention,
} from "../../../sdk/xlstm/index.js";
import { closeness, expectClose, fixturePath, fmtCloseness, maxAbs, useWasm } from "./helpers.js";

before(useWasm);

type Stored = Record<string, { shape: number[]; data: Float32Array }>;
let stored: Stored;
let meta: Record<string, string>;

async function fixture(): Promise<Stored> {
  if (!stored) {
    const r = await readSafetensors(fixturePath("mlstm.safetensors"));
    stored = r.tensors as Stored;
    meta = r.metadata;
  }
  return stored;
}

const tensor = (s: Stored, name: string) => {
  assert.ok(s[name], `fixture tensor ${name}`);
  return tf.tensor(s[name].data, s[name].shape);
};

interface CaseMeta {
  name: string;
  S: number;
  gateSoftCap: number | null;
}

const FORMS = {
  parallel: (x: tf.Tensor[], o: MlstmOptions) =>
    mlstmParallel(...(x as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D, tf.Tensor3D, tf.Tensor3D]), o),
  // chunk 16 does not divide S (40, 36): the last chunk is padded
  chunkwise: (x: tf.Tensor[], o: MlstmOptions) =>
    mlstmChunkwise(...(x as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D, tf.Tensor3D, tf.Tensor3D]), { ...o, chunkSize: 16 }),
  recurrent: (x: tf.Tensor[], o: MlstmOptions) =>
    mlstmRecurrent(...(x as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D, tf.Tensor3D, tf.Tensor3D]), o),
};

test("the fixture lists its cases", async () => {
  await fixture();
  const cases = JSON.parse(meta.cases) as CaseMeta[];
  assert.deepEqual(
    cases.map((c) => c.name),
    ["normal", "extreme", "capped"],
  );
});

for (const caseName of ["normal", "extreme", "capped"]) {
  for (const [label, mInit] of [
    ["zero", "zero"],
    ["neginf", "-inf"],
  ] as const) {
    test(`${caseName}, m starting at ${mInit}: outputs, state and gradients of every form match PyTorch`, async (t) => {
      const s = await fixture();
      const c = (JSON.parse(meta.cases) as CaseMeta[]).find((x) => x.name === caseName)!;
      const opts: MlstmOptions = { mInit, gateSoftCap: c.gateSoftCap };
      const inputs = ["q", "k", "v", "i", "f"].map((n) => tensor(s, `${caseName}.${n}`));
      const r = tensor(s, `${caseName}.r`);
      const want = (n: string) => s[`${caseName}.${label}.${n}`]!.data;
      for (const [form, run] of Object.entries(FORMS)) {
        const before = tf.memory().numTensors;
        const h = run(inputs, opts);
        // the reference's tolerances: atol = rtol = 1e-4, chunkwise rtol 1e-3
        expectClose(t, `${form} h`, h.dataSync(), want("h"), 1e-4, form === "chunkwise" ? 1e-3 : 1e-4);
        h.dispose();
        const grads = tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(run(xs, opts), r)))(inputs);
        ["q", "k", "v", "i", "f"].forEach((n, j) => {
          const g = grads[j]!.dataSync();
          const ref = want(`grad.${n}`);
          const err = closeness(g, ref, 0, 0).maxAbs / maxAbs(ref);
          t.diagnostic(`${form} grad ${n}: max abs err / max |ref| = ${err.toExponential(2)}`);
          assert.ok(err <= 1e-4, `${form} gradient of ${n}: max abs error ${err.toExponential(2)} of the largest entry`);
        });
        tf.dispose(grads);
        assert.equal(tf.memory().numTensors, before, `${form} leaked tensors`);
      }
      for (const form of ["chunkwise", "recurrent"] as const) {
        const x = inputs as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D, tf.Tensor3D, tf.Tensor3D];
        const out =
          form === "chunkwise"
            ? mlstmChunkwise(...x, { ...opts, chunkSize: 16, returnState: true })
            : mlstmRecurrent(...x, { ...opts, returnState: true });
        const scale = maxAbs(want("C"));
        expectClose(t, `${form} final C`, out.state.C.dataSync(), want("C"), 1e-5 * scale, 1e-4);
        expectClose(t, `${form} final n`, out.state.n.dataSync(), want("n"), 1e-5 * maxAbs(want("n")), 1e-4);
        expectClose(t, `${form} final m`, out.state.m.dataSync(), want("m"), 1e-4, 1e-5);
        tf.dispose(out);
      }
      tf.dispose([...inputs, r]);
    });
  }
}

test("hybrid pieces match PyTorch: feature maps, sliding-window attention with sinks, the mixed output", async (t) => {
  const s = await fixture();
  const hm = JSON.parse(meta.hybrid) as { window: number; sinks: number };
  const [q, k, v, i, f, o, wq, wk] = ["q", "k", "v", "i", "f", "o", "wq", "wk"].map((n) => tensor(s, `hybrid.${n}`));
  const swa = slidingWindowAttention(q as tf.Tensor4D, k as tf.Tensor4D, v as tf.Tensor4D, hm);
  expectClose(t, "sliding window", swa.dataSync(), s["hybrid.swa"]!.data, 1e-5, 1e-4);
  for (const kind of ["hedgehog", "lolcats"] as const) {
    const phi = featureMap(q as tf.Tensor4D, wq as tf.Tensor3D, { kind });
    expectClose(t, `${kind} phi(q)`, phi.dataSync(), s[`hybrid.${kind}.phi_q`]!.data, 1e-6, 1e-4);
    const h = hybridAttention(
      {
        q: q as tf.Tensor4D,
        k: k as tf.Tensor4D,
        v: v as tf.Tensor4D,
        iPre: i as tf.Tensor3D,
        fPre: f as tf.Tensor3D,
        oPre: o as tf.Tensor3D,
      },
      { featureQ: wq as tf.Tensor3D, featureK: wk as tf.Tensor3D },
      { ...hm, featureMap: kind, chunkSize: 7 },
    );
    const c = closeness(h.dataSync(), s[`hybrid.${kind}.h`]!.data, 1e-4, 1e-3);
    t.diagnostic(`${kind} hybrid: ${fmtCloseness(c)}`);
    assert.ok(c.worst <= 1, `${kind} hybrid output: ${fmtCloseness(c)}`);
    tf.dispose([phi, h]);
  }
  tf.dispose([q, k, v, i, f, o, wq, wk, swa]);
});
