// sdk/distill: distilling a transformer into a hybrid xLSTM student (METHODS.md section 1).
// sr.distill.student(teacher, opts) starts a plan: .linearize() .align() .distill() .experts()
// .mergeExperts(), run by .run() or await. The stages and the loss are exported for use alone.
import type { Model } from "../models/model.js";
import type { StudentOptions } from "./options.js";
import { StudentPipeline } from "./pipeline.js";

/** A distillation plan for `teacher` (nothing runs until .run() or await). */
export function student(teacher: Model, opts: StudentOptions = {}): StudentPipeline {
  return StudentPipeline.start(teacher, opts);
}

export { StudentPipeline, type RunOptions } from "./pipeline.js";
export {
  type StudentOptions,
  type AlignOptions,
  type DistillOptions,
  type ExpertOptions,
  type MergeOptions,
  type MergeMethod,
  type TopKTail,
  STUDENT_DEFAULTS,
  ALIGN_DEFAULTS,
  DISTILL_DEFAULTS,
  MERGE_DEFAULTS,
  MERGE_METHODS,
  TOP_K_TAILS,
} from "./options.js";
export { linearize, checkTeacher, SUPPORTED_FAMILIES } from "./linearize.js";
export { align, alignLoss, newParameterNames } from "./align.js";
export { distill, type DistillRun } from "./distill.js";
export { distillLoss, distillTerms, type DistillLossOptions } from "./loss.js";
export { teacherTargets, batchTargets, countedPositions, targetsKey, MIN_LOG_REST, type BatchTargets } from "./targets.js";
export { mergeParameters, mergeTensor, trimToDensity, type MergeSpec } from "./merge.js";
export { cloneModel } from "./clone.js";
