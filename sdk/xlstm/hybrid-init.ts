// The hybrid layer's weights and their initial values. q, k, v, o (and OLMo2's q/k norms) are the
// softmax block's, under the same names, so a student takes them from its teacher by name; the new
// parameters are the feature maps and the three gate projections.
//
// Why the untrained student is a sensible start (tested in test/sdk/distill/init.test.ts):
// - Output gate: weight 0, bias logit(0.1) (LoLCATs' start for its mix): every head starts as
//   0.9 x sliding-window softmax + 0.1 x mLSTM. At contexts within the window the softmax branch IS
//   the teacher's attention, so the untrained layer is within 0.1 |mLSTM - attention| of the
//   teacher's; beyond the window it still has the teacher's local attention. 0.1 rather than 0:
//   the gate scales the gradient that reaches the mLSTM branch, which has everything to learn.
// - Feature maps: the identity (phi(x) = softmax(x) over the head's dimensions), Hedgehog's
//   start: phi(q).phi(k) is then larger for aligned q and k, as exp(q.k) is, and positive, so the
//   mLSTM starts as a linear attention with positive weights, a weighted mean of values like the
//   softmax it is to imitate. With F above the head size the extra columns start at 0.
// - Forget gate: weight 0, bias spread linearly from +3 to +6 over the heads (the xLSTM
//   reference's "remember" start): per-token decay sigmoid(3) = 0.95 to sigmoid(6) = 0.9975, so
//   heads start with memories of ~20 to ~400 tokens, from local to global.
// - Input gate: weight 0, bias 1.5 ln(F') + N(0, 0.1) (F' features per head; the reference's
//   N(0, 0.1) spread, shifted). The mLSTM divides by max(|q.n|, 1) in unstabilised terms, and softmax
//   features make q'.k = phi(q).phi(k) / sqrt(F') about F'^-1.5. With the reference's bias (0) the
//   normaliser would sit at its floor of 1 and the branch would output a damped sum, tens of times
//   smaller than the values; with e^{i~} ~ F'^1.5 even one token fills the normaliser, so the branch
//   starts as a normalised mean of values, on the scale of the softmax branch it is mixed with.
// - Gates read the layer's input x rather than [q, k, v]: q, k and v are linear in x (before RoPE
//   and the norms), so a linear gate of [q, k, v] is a linear gate of x (METHODS.md: "foldable into
//   one projection of x_t"), at a fraction of the cost.

import type { ModelConfig } from "../models/config.js";
import { selfAttentionWeights } from "../models/layer-types.js";
import type { WeightInit, WeightSpec } from "../models/layout.js";
import { normalArray } from "../nn/random.js";
import { featureDim } from "./feature-map.js";
import type { HybridSettings } from "./hybrid-settings.js";

/** logit(0.1): the output gate's start, 0.1 of the mLSTM branch. */
export const OUTPUT_GATE_BIAS = Math.log(0.1 / 0.9);
/** The forget gate's bias runs from the first head's to the last head's. */
export const FORGET_GATE_BIAS: readonly [number, number] = [3, 6];

/** 1.5 ln(F'): the input gate bias that fills the normaliser from the first token (see above). */
export function inputGateBias(featuresPerHead: number): number {
  return 1.5 * Math.log(featuresPerHead);
}

const constant =
  (value: number): WeightInit =>
  (_rng, n) =>
    new Float32Array(n).fill(value);

/** [H, D, F] of identity maps: W[h, d, f] = 1 where d = f. */
const identityMaps =
  (H: number, D: number, F: number): WeightInit =>
  () => {
    const w = new Float32Array(H * D * F);
    for (let h = 0; h < H; h++) for (let d = 0; d < Math.min(D, F); d++) w[(h * D + d) * F + d] = 1;
    return w;
  };

/** bias of head h: lo + (hi - lo) h / (H - 1) (lo alone for one head). */
const spread =
  ([lo, hi]: readonly [number, number]): WeightInit =>
  (_rng, n) =>
    Float32Array.from({ length: n }, (_, h) => (n === 1 ? lo : lo + ((hi - lo) * h) / (n - 1)));

const shiftedNormal =
  (mean: number, std: number): WeightInit =>
  (rng, n) =>
    normalArray(rng, n, std).map((x) => x + mean);

/** The hybrid mixer's weights, named relative to the mixer ("feature_map_q.weight"). */
export function hybridWeights(c: ModelConfig, s: HybridSettings): WeightSpec[] {
  const { dModel: C, nHeads: H, headDim: D } = c;
  const F = s.feature_dim;
  const gate = (name: string, bias: WeightInit): WeightSpec[] => [
    { name: `${name}.weight`, shape: [H, C], init: "zeros" },
    { name: `${name}.bias`, shape: [H], init: bias },
  ];
  return [
    ...selfAttentionWeights(c),
    { name: "feature_map_q.weight", shape: [H, D, F], init: identityMaps(H, D, F) },
    { name: "feature_map_k.weight", shape: [H, D, F], init: identityMaps(H, D, F) },
    ...gate("igate", shiftedNormal(inputGateBias(featureDim(F, s.feature_map)), 0.1)),
    ...gate("fgate", spread(FORGET_GATE_BIAS)),
    ...gate("ogate", constant(OUTPUT_GATE_BIAS)),
  ];
}

/** Names of the parameters a hybrid layer adds to the softmax block's (what stage I trains). */
export const HYBRID_NEW_PARAMETERS = [
  "feature_map_q.weight",
  "feature_map_k.weight",
  "igate.weight",
  "igate.bias",
  "fgate.weight",
  "fgate.bias",
  "ogate.weight",
  "ogate.bias",
] as const;
