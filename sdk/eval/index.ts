// sdk/eval: measuring models. Bias: task accuracy, leakage by a post-hoc attacker, fairness gaps.
export { bias, BiasReport, type BiasModel, type BiasOptions, type AttributeBias } from "./bias.js";
export { leakage, ATTACKER_DEFAULTS, type AttackerOptions, type Leakage, type Labelled } from "./leakage.js";
export { accuracy, balancedAccuracy, majorityRate, tprGaps, type TprGaps } from "./metrics.js";
export { tradeoffChart } from "./bias-chart.js";
