// sdk/eval: measuring models. How a distilled student compares with its teacher (Win-and-Tie with
// its tolerance curve, every model on every task, recall against context length, decoding cost);
// bias (task accuracy, leakage by a post-hoc attacker, fairness gaps).
export { winTie, taskAlpha, WinTieReport, type WinTieOptions, type WinTieRow } from "./win-tie.js";
export { compare, Comparison, type Tasks } from "./compare.js";
export { recallByLength, RecallByLength, type RecallByLengthOptions, type RecallPoint } from "./recall-by-length.js";
export { needleAt, needleMinLength, type NeedleOptions } from "./needle.js";
export { decodeCost, DecodeCost, stateBytes, type DecodeCostOptions, type DecodeCostRow } from "./decode-cost.js";
export { scoreRecord, type Scores, type ScoreRow } from "./scores.js";
export { bias, BiasReport, type BiasModel, type BiasOptions, type AttributeBias } from "./bias.js";
export { leakage, ATTACKER_DEFAULTS, type AttackerOptions, type Leakage, type Labelled } from "./leakage.js";
export { accuracy, balancedAccuracy, labelOnlyRate, majorityRate, tprGaps, type TprGaps } from "./metrics.js";
export { tradeoffChart } from "./bias-chart.js";
