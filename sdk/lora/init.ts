// LoRA's starting points, as PEFT defines them, on plain arrays (weights are row-major [out, in]):
//
//   kaiming   A ~ U(-1/sqrt(in), 1/sqrt(in)) (nn.Linear's default, kaiming_uniform with a = sqrt(5)),
//             B = 0: the model starts unchanged
//   gaussian  A ~ N(0, 1/r^2), B = 0
//   pissa     W = U S V^T; A = sqrt(S_r / s) V_r^T, B = U_r sqrt(S_r / s), and the base becomes the
//             residual W - s B A: the adapter holds W's principal part, the model is unchanged
//   olora     W = Q R; A = R[:r], B = Q[:, :r], base W - s B A
//
// (s = the layer's scaling.) PiSSA and OLoRA change the base weight, so the adapter alone is only
// meaningful next to that residual.

import { mulberry32, normalArray, type Rng } from "../nn/random.js";
import { matrix } from "./linalg/matrix.js";
import { qr } from "./linalg/qr.js";
import { topSvdByGram } from "./linalg/gram-svd.js";

export interface Factors {
  /** [r, in] */
  A: Float32Array;
  /** [out, r] */
  B: Float32Array;
}

export interface Decomposed extends Factors {
  /** [out, in]: the base weight the adapter is added to, W - s B A */
  residual: Float32Array;
}

/** A [r, in] uniform in +-1/sqrt(in) and B [out, r] zero. */
export function kaimingInit(r: number, inF: number, outF: number, seed: number): Factors {
  const rng: Rng = mulberry32(seed);
  const bound = 1 / Math.sqrt(inF);
  const A = Float32Array.from({ length: r * inF }, () => (2 * rng() - 1) * bound);
  return { A, B: new Float32Array(outF * r) };
}

/** A [r, in] from N(0, (1/r)^2) and B [out, r] zero. */
export function gaussianInit(r: number, inF: number, outF: number, seed: number): Factors {
  return { A: normalArray(mulberry32(seed), r * inF, 1 / r), B: new Float32Array(outF * r) };
}

function checkRank(what: string, r: number, outF: number, inF: number): void {
  if (r > Math.min(outF, inF))
    throw new Error(`${what}: r = ${r} exceeds min(out, in) = ${Math.min(outF, inF)} of a [${outF}, ${inF}] weight`);
}

/**
 * The factors rounded to float32 as they will be stored, and W - s B A from those stored values
 * (float64, rounded once), so that residual + s B A gives W back to float32 precision.
 */
function decomposed(
  W: ArrayLike<number>,
  A64: Float64Array,
  B64: Float64Array,
  r: number,
  outF: number,
  inF: number,
  s: number,
): Decomposed {
  const A = Float32Array.from(A64);
  const B = Float32Array.from(B64);
  const out = new Float32Array(outF * inF);
  for (let i = 0; i < outF; i++) {
    for (let j = 0; j < inF; j++) {
      let acc = 0;
      for (let k = 0; k < r; k++) acc += B[i * r + k] * A[k * inF + j];
      out[i * inF + j] = W[i * inF + j] - s * acc;
    }
  }
  return { A, B, residual: out };
}

/**
 * PiSSA on W [out, in] with rank r and scaling s. Only the top r singular triplets are needed: they
 * come from the Gram matrix of W (accurate to ~eps (S_0 / S_k)^2, ample for a weight's leading
 * directions), with u_k = W v_k / S_k.
 */
export function pissaInit(W: ArrayLike<number>, outF: number, inF: number, r: number, s: number): Decomposed {
  checkRank("pissa", r, outF, inF);
  const { S, Vt } = topSvdByGram(matrix(outF, inF, W), r);
  const A = new Float64Array(r * inF);
  const B = new Float64Array(outF * r);
  for (let k = 0; k < r; k++) {
    const root = Math.sqrt(S[k] / s);
    const v = Vt[k];
    for (let j = 0; j < inF; j++) A[k * inF + j] = root * v[j]; // sqrt(S_k / s) v_k^T
    for (let i = 0; i < outF; i++) {
      let wv = 0;
      for (let j = 0; j < inF; j++) wv += W[i * inF + j] * v[j];
      B[i * r + k] = S[k] > 0 ? (wv / S[k]) * root : 0; // u_k sqrt(S_k / s)
    }
  }
  return decomposed(W, A, B, r, outF, inF, s);
}

/** OLoRA on W [out, in] with rank r and scaling s. */
export function oloraInit(W: ArrayLike<number>, outF: number, inF: number, r: number, s: number): Decomposed {
  checkRank("olora", r, outF, inF);
  const { Q, R } = qr(matrix(outF, inF, W));
  const p = Q.cols;
  const A = R.data.slice(0, r * inF); // R[:r]
  const B = new Float64Array(outF * r);
  for (let i = 0; i < outF; i++) for (let k = 0; k < r; k++) B[i * r + k] = Q.data[i * p + k]; // Q[:, :r]
  return decomposed(W, A, B, r, outF, inF, s);
}
