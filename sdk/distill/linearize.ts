// Building the student: every softmax attention layer of the teacher becomes an "mlstm_hybrid"
// layer (sdk/xlstm). Embeddings, norms, MLPs and the attention projections q, k, v, o are copied
// from the teacher by name; the new parameters (feature maps, gates) start from their init. The
// teacher is left untouched.

import { ArgumentError } from "../errors.js";
import { FAMILIES } from "../models/config.js";
import { create } from "../models/create.js";
import { FULL_ATTENTION } from "../models/layer-types.js";
import { Model } from "../models/model.js";
import { MLSTM_HYBRID } from "../xlstm/hybrid-settings.js";
import "../xlstm/layer-type.js"; // registers mlstm_hybrid
import type { ResolvedStudent } from "./options.js";

/** Families whose attention the hybrid layer reuses (q, k, v, o with their biases, OLMo2's q/k norms). */
export const SUPPORTED_FAMILIES: readonly string[] = FAMILIES;

/** The teacher as a distillation source: a Model of a supported family whose layers are all softmax attention. */
export function checkTeacher(teacher: unknown, where = "sr.distill.student"): Model {
  if (!(teacher instanceof Model))
    throw new ArgumentError("teacher", teacher, "a model (sr.models.load, sr.models.create, sr.models.teacher)", where);
  const family = teacher.config.family as string;
  if (!SUPPORTED_FAMILIES.includes(family)) {
    throw new ArgumentError("teacher.config.family", family, `a supported family (${SUPPORTED_FAMILIES.join(", ")})`, where);
  }
  const at = teacher.config.layerTypes.findIndex((t) => t !== FULL_ATTENTION);
  if (at >= 0) {
    throw new ArgumentError(
      `teacher.config.layerTypes[${at}]`,
      teacher.config.layerTypes[at],
      `"${FULL_ATTENTION}" (a transformer teacher: every layer softmax attention)`,
      where,
    );
  }
  return teacher;
}

/** Checks the student's options against the teacher (the window must fit in the teacher's context). */
export function checkAgainstTeacher(teacher: Model, s: ResolvedStudent, where = "sr.distill.student"): void {
  const { maxSeq } = teacher.config;
  if (s.window > maxSeq)
    throw new ArgumentError(
      "window",
      s.window,
      `at most the teacher's context (maxSeq = ${maxSeq}); a larger window is full attention`,
      where,
    );
  if (s.sinks > maxSeq) throw new ArgumentError("sinks", s.sinks, `at most the teacher's context (maxSeq = ${maxSeq})`, where);
}

/** The hybrid student of `teacher` (a new model; the teacher is not changed). */
export function linearize(teacher: Model, s: ResolvedStudent): Model {
  checkTeacher(teacher);
  checkAgainstTeacher(teacher, s);
  const settings: Record<string, unknown> = {
    window: s.window,
    sinks: s.sinks,
    feature_map: s.featureMap,
    chunk_size: s.chunkSize,
    gate_soft_cap: s.gateSoftCap,
  };
  if (s.featureDim !== undefined) settings.feature_dim = s.featureDim;
  const student = create(
    { ...teacher.config, layerTypes: Array(teacher.config.nLayers).fill(MLSTM_HYBRID), layerSettings: { [MLSTM_HYBRID]: settings } },
    { seed: s.seed, tokenizer: teacher.tokenizer, generationConfig: teacher.generationConfig },
  );
  const r = student.loadWeights(teacher, { strict: false });
  if (r.unexpected.length) throw new Error(`linearize: the student has no ${r.unexpected.slice(0, 3).join(", ")} (from the teacher)`);
  return student;
}
