// sdk/diffprune: modular, on-demand bias mitigation with attribute-removal subnetworks
// (Hauzenberger et al. 2023, on Diff Pruning, Guo et al. 2021). Fine-tune a core for a task, train
// one sparse diff per protected attribute with the core frozen and an adversary on the attribute,
// then switch any set of them on per call.
export { task } from "./task.js";
export { attribute, debiasObjective } from "./attribute.js";
export { mask, MaskSelection } from "./mask.js";
export { Core, type CoreInit, type CoreInput } from "./core.js";
export { CoreView } from "./view.js";
export { Subnetwork, type SubnetworkInfo } from "./subnetwork.js";
export { saveSubnetwork as save, loadSubnetwork as load, SUBNETWORK_FORMAT } from "./sparse-file.js";
export { saveCore, loadCore, CORE_FILE, HEAD_FILE, SUBNETWORK_DIR } from "./core-files.js";
export { withSubnetworks, activeOn, COMBINES, type Combine } from "./active.js";
export { GAMMA, ZETA, U_EPS, LOG_RATIO, gate, gateSample, gateDeterministic, expectedL0, gateProbabilities } from "./gate.js";
export { reverseGradient } from "./reversal.js";
export { GatedDiff, MaskedDiff, type DiffPiece } from "./diff.js";
export { SubnetworkSwitch } from "./switch.js";
export { topFractionMasks } from "./fixmask.js";
export { Adversary, MlpHead, TaskHead, initLinear, type AdversaryOptions } from "./heads.js";
export { crossEntropy, binaryCrossEntropy, headLoss, predictions, majorityVote, outputsFor } from "./losses.js";
export { LossLog } from "./loop.js";
export {
  taskConfig,
  attributeConfig,
  TASK_DEFAULTS,
  ATTRIBUTE_DEFAULTS,
  REGIMES,
  type Regime,
  type TaskOptions,
  type AttributeOptions,
  type LoopOptions,
} from "./options.js";
