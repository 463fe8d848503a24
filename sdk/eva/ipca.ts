// Incremental PCA (Ross et al. 2008, as scikit-learn's IncrementalPCA and PEFT's EVA run it): the
// top k principal directions of all rows seen so far, updated one batch at a time without keeping
// the rows. The update itself is ipca-update.ts; this class holds its state and reads tensors.

import * as tf from "@tensorflow/tfjs-core";
import { ArgumentError } from "../errors.js";
import { emptyPca, type PcaState, updatePca } from "./ipca-update.js";

export class IncrementalPCA {
  private state: PcaState;

  /** `nComponents`: how many directions to keep (k). */
  constructor(readonly nComponents: number) {
    if (!Number.isInteger(nComponents) || nComponents < 1)
      throw new ArgumentError("nComponents", nComponents, "an integer >= 1", "IncrementalPCA");
    this.state = emptyPca(nComponents);
  }

  /** [k][d]: the principal directions, strongest first, unit length */
  get components(): Float64Array[] {
    return this.state.components;
  }

  /** [k] singular values of the centred rows seen so far (they grow like sqrt(nSamplesSeen)) */
  get singularValues(): Float64Array {
    return this.state.singularValues;
  }

  /** [k] variance along each component (S^2 / (n - 1)) */
  get explainedVariance(): Float64Array {
    return this.state.explainedVariance;
  }

  /** [k] share of the total variance along each component */
  get explainedVarianceRatio(): Float64Array {
    return this.state.explainedVarianceRatio;
  }

  /** Rows seen by partialFit. */
  get nSamplesSeen(): number {
    return this.state.stats?.n ?? 0;
  }

  /** [d] mean of the rows seen (null before the first batch). */
  get mean(): Float64Array | null {
    return this.state.stats?.mean ?? null;
  }

  /** [d] per-feature (population) variance of the rows seen (null before the first batch). */
  get variance(): Float64Array | null {
    return this.state.stats?.variance ?? null;
  }

  /** Features per row, fixed by the first batch (null before it). */
  get nFeatures(): number | null {
    return this.state.stats?.mean.length ?? null;
  }

  /** Update with a batch of rows x [n, d], n >= nComponents. */
  partialFit(x: tf.Tensor2D | readonly ArrayLike<number>[]): this {
    if (x instanceof tf.Tensor) {
      if (x.rank !== 2) throw new ArgumentError("x.shape", x.shape, "[n, d] (a 2-D tensor of rows)", "IncrementalPCA.partialFit");
      return this.partialFitArray(x.dataSync() as Float32Array, x.shape[0], x.shape[1]);
    }
    if (!Array.isArray(x) || x.length === 0)
      throw new ArgumentError("x", x, "rows [n, d] (a 2-D tensor or arrays of numbers)", "IncrementalPCA.partialFit");
    const d = x[0].length;
    const flat = new Float64Array(x.length * d);
    x.forEach((r, i) => {
      if (r.length !== d) throw new ArgumentError(`x[${i}].length`, r.length, `${d} like x[0]`, "IncrementalPCA.partialFit");
      flat.set(r, i * d);
    });
    return this.partialFitArray(flat, x.length, d);
  }

  /** Update with n rows of d features, row-major in `data` (what partialFit does after reading its input). */
  partialFitArray(data: ArrayLike<number>, n: number, d: number): this {
    this.state = updatePca(this.state, data, n, d);
    return this;
  }

  /** The components as a float32 tensor [k, d] (the caller disposes it). */
  componentsTensor(): tf.Tensor2D {
    if (!this.components.length) throw new Error("IncrementalPCA: no components yet; call partialFit first");
    const k = this.components.length;
    const d = this.components[0].length;
    const flat = new Float32Array(k * d);
    this.components.forEach((c, j) => {
      flat.set(c, j * d);
    });
    return tf.tensor2d(flat, [k, d]);
  }
}
