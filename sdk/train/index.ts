// sdk/train: AdamW, schedules, the fit loop, batches from token arrays and JSONL, progress, checkpoints.
export { fit } from "./fit.js";
export { fitConfig, FitConfigError, type FitOptions, type FitConfig, type ProgressEvent } from "./options.js";
export { History, lossChart, type HistoryData } from "./history.js";
export { AdamW, type AdamWConfig } from "./adamw.js";
export { lrAt, SCHEDULES, type Schedule, type ScheduleConfig } from "./schedule.js";
export { causalLmLoss, shiftLabels, IGNORE_INDEX } from "./loss.js";
export { clipByGlobalNorm } from "./clip.js";
export { resolveParams, type ParamGroup, type ParamsOption, type NameMatch } from "./params.js";
export { batches, streamOf, type BatchesOptions, type BatchStream } from "./batches.js";
export { jsonl, type JsonlOptions, type JsonlStream, type TextTokenizer } from "./jsonl.js";
export { openSource, checkBatch, type Batch, type Data, type BatchFn } from "./data.js";
export { progressSink, terminalBar, PROGRESS_HOOK, type ProgressSink, type ProgressFactory } from "./progress.js";
export { saveCheckpoint, loadCheckpoint, type CheckpointState } from "./checkpoint.js";
