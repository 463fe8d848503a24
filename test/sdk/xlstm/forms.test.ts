// The central test of the mLSTM: the parallel, chunkwise and recurrent forms agree with each other
// at the reference's float32 tolerances (recurrent vs parallel atol = rtol = 1e-4; chunkwise vs
// parallel atol 1e-4, rtol 1e-3) and with the float64 segment-sum oracle, over N(0, 1) inputs at
// the reference's sizes, extreme gate pre-activations, sequences that no chunk size divides, and
// long sequences.
//
// Where the normaliser q'.n nearly cancels (extreme or capped gates make its terms large and
// mixed in sign) an output is ill-conditioned: any float32 evaluation of it is off by about
// machine precision times kappa = sum |terms| / |q'.n| relative, so rtol is scaled by each row's
// kappa from the oracle. kappa is 1 for most rows (the max(|q'.n|, exp(-m)) floor), and its
// largest value is reported; with N(0, 1) inputs no scaling is applied at all.

import { test, before } from "node:test";
import * as tf from "@tensorflow/tfjs-core";
import { mlstmChunkwise, mlstmParallel, mlstmRecurrent, type MlstmOptions } from "../../../sdk/xlstm/index.js";
import {
  type Case,
  type Dims,
  expectClose,
  expectNoLeak,
  type GateDraw,
  maxAbs,
  mlstmOracle,
  randomCase,
  tensors,
  useWasm,
} from "./helpers.js";

before(useWasm);

const TOL = {
  recurrent: { atol: 1e-4, rtol: 1e-4 },
  chunkwise: { atol: 1e-4, rtol: 1e-3 },
  // against the float64 oracle: the parallel form is held to the recurrent form's tolerance
  parallel: { atol: 1e-4, rtol: 1e-4 },
};

type Form = "parallel" | "chunkwise" | "recurrent";

function run(form: Form, c: Case, opts: MlstmOptions, chunkSize: number): Float32Array {
  return expectNoLeak(form, () => {
    const x = tensors(c);
    const h =
      form === "parallel"
        ? mlstmParallel(x.q, x.k, x.v, x.i, x.f, opts)
        : form === "chunkwise"
          ? mlstmChunkwise(x.q, x.k, x.v, x.i, x.f, { ...opts, chunkSize })
          : mlstmRecurrent(x.q, x.k, x.v, x.i, x.f, opts);
    const out = h.dataSync() as Float32Array;
    tf.dispose([h, x.q, x.k, x.v, x.i, x.f]);
    return out;
  });
}

/** Every form against the parallel form and against the oracle. */
function agree(
  t: { diagnostic: (s: string) => void },
  d: Dims,
  seed: number,
  gates: GateDraw,
  opts: MlstmOptions,
  chunkSize = 64,
  forms: Form[] = ["parallel", "chunkwise", "recurrent"],
  conditioned = true,
) {
  const c = randomCase(d, seed, gates);
  const oracle = mlstmOracle(c, opts);
  const cond = conditioned ? { kappa: oracle.kappa, rowLength: d.V } : undefined;
  t.diagnostic(`S = ${d.S}: largest kappa ${maxAbs(oracle.kappa).toExponential(2)}${conditioned ? "" : " (not applied)"}`);
  const out = Object.fromEntries(forms.map((f) => [f, run(f, c, opts, chunkSize)])) as Record<Form, Float32Array>;
  for (const f of forms) expectClose(t, `${f} vs float64 oracle`, out[f], oracle.h, TOL[f].atol, TOL[f].rtol, cond);
  if (out.parallel) {
    for (const f of forms.filter((x) => x !== "parallel")) {
      expectClose(t, `${f} vs parallel`, out[f], out.parallel, TOL[f].atol, TOL[f].rtol, cond);
    }
  }
}

const REFERENCE_SIZE = { B: 1, H: 2, S: 256, K: 64, V: 128 };

for (const mInit of ["-inf", "zero"] as const) {
  test(`N(0, 1) inputs at S = 256, Dqk = 64, Dv = 128, m starting at ${mInit}`, (t) => {
    agree(t, REFERENCE_SIZE, 1, {}, { mInit }, 64, ["parallel", "chunkwise", "recurrent"], false);
  });
}

test("extreme gate pre-activations, |x| up to 30, and S = 200 (chunks of 64 padded)", (t) => {
  agree(t, { ...REFERENCE_SIZE, S: 200 }, 2, { i: { lo: -30, hi: 30 }, f: { lo: -30, hi: 30 } }, {});
});

test("extreme gates one sign at a time: input +-30, forget +-30", (t) => {
  const d = { B: 1, H: 4, S: 96, K: 16, V: 24 };
  agree(t, d, 3, { i: { lo: 25, hi: 30 }, f: { lo: -30, hi: -25 } }, {}, 32);
  agree(t, d, 4, { i: { lo: -30, hi: -25 }, f: { lo: 25, hi: 30 } }, {}, 32);
  agree(t, d, 5, { i: { lo: -30, hi: -25 }, f: { lo: -30, hi: -25 } }, { mInit: "zero" }, 32);
});

test("soft-capped gates: N(0, 20) pre-activations under cap 15", (t) => {
  agree(t, { B: 2, H: 2, S: 100, K: 16, V: 16 }, 6, { i: { scale: 20 }, f: { scale: 20 } }, { gateSoftCap: 15 }, 16);
});

test("sequence lengths no chunk size divides, a chunk longer than the sequence, one token", (t) => {
  const d = { B: 2, H: 1, K: 8, V: 12 };
  for (const [S, L] of [
    [37, 16],
    [65, 64],
    [63, 64],
    [10, 64],
    [1, 16],
    [17, 1],
  ] as const) {
    agree(t, { ...d, S }, 100 + S, { f: { shift: 2 } }, {}, L);
  }
});

test("long sequences: S = 2048 with remembering forget gates (bias +3) and with mixed extreme gates", (t) => {
  const d = { B: 1, H: 1, S: 2048, K: 16, V: 16 };
  // a forget bias of +3 keeps a long memory: inter-chunk states carry most of every output
  agree(t, d, 7, { f: { shift: 3 } }, {}, 64, ["parallel", "chunkwise", "recurrent"], false);
  // decays of -30 next to decays of ~0: F[t] - F[s] from one float32 cumsum would lose the short segments
  agree(t, d, 8, { i: { lo: -30, hi: 30 }, f: { lo: -30, hi: 30 } }, {}, 64, ["parallel", "chunkwise"]);
});
