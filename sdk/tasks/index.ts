// sdk/tasks: a synthetic multitask suite (one small vocabulary, seeded generators, exact-match
// scoring), and recall swept over context length.
export { suite, task, Suite, type SuiteOptions, type SuiteBatchesOptions } from "./suite.js";
export {
  Task,
  exampleRow,
  rowsOf,
  rowHits,
  forcedMatches,
  forcedInputs,
  forcedHits,
  generatedMatches,
  type Split,
  type TaskBatchesOptions,
  type ScoreOptions,
  type TaskScore,
} from "./task.js";
export { SuiteScore } from "./score-table.js";
export { SPECS, TASK_NAMES, HELD_OUT } from "./registry.js";
export { TaskConfigError, type Example, type TaskSpec } from "./spec.js";
export { tokenizer, TOKENS, VOCAB_SIZE, PAD, BOS, EOS, id, ids } from "./vocab.js";
export { closers } from "./brackets.js";
export { recallMinLength } from "./recall.js";
export { addDigits } from "./add.js";
export { SORT_SYMBOLS } from "./sort.js";
export type { RecallOptions } from "./recall.js";
export type { CopyOptions } from "./copy.js";
export type { SortOptions } from "./sort.js";
export type { AddOptions } from "./add.js";
export type { CountOptions } from "./count.js";
export type { BracketsOptions } from "./brackets.js";
export type { LmOptions } from "./lm.js";
export type { TailOptions } from "./tail.js";
export type { WhichOptions } from "./which.js";
export { bios, bioExample, PROFESSIONS, GENDERS, AGE_GROUPS, type BiosOptions } from "./bios.js";
export {
  BiasData,
  BIAS_SPLITS,
  majorityShare,
  type BiasExample,
  type BiasSplit,
  type BiasDataInit,
  type EncodedBatch,
} from "./bias-data.js";
export {
  readBiasData,
  readBios,
  readPan16,
  readFdcl18,
  BIAS_FORMATS,
  BiasDataError,
  type BiasFormat,
  type BiasFormatName,
  type BiasFiles,
  type ReadBiasOptions,
} from "./bias-readers.js";
export { wordTokenizer, wordTokenizerJson, words, PAD_TOKEN, UNK_TOKEN, CLS_TOKEN, type WordTokenizerOptions } from "./bias-tokenizer.js";
