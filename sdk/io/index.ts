// sdk/io: safetensors, Hugging Face configs and weight directories, tokenizers.
export { readSafetensors, readSafetensorsHeader, writeSafetensors, encodeHeader, SafetensorsError } from "./safetensors.js";
export type { TensorData, TensorInput, SafetensorsContents, SafetensorsHeader, SafetensorsEntry } from "./safetensors.js";
export {
  DTYPES,
  DTYPE_BYTES,
  decode,
  encode,
  toFloat16Bits,
  fromFloat16Bits,
  toBfloat16Bits,
  fromBfloat16Bits,
  type Dtype,
} from "./dtypes.js";
export { readWeights, writeWeights, readIndex, planShards, SINGLE_FILE, INDEX_FILE, type WriteWeightsOptions } from "./weights.js";
export {
  toHfConfig,
  fromHfConfig,
  readHfConfig,
  writeHfConfig,
  generationConfigFrom,
  toHfGenerationConfig,
  ARCHITECTURES,
  type GenerationConfig,
  type TorchDtype,
} from "./hf-config.js";
export { Tokenizer, type ChatMessage, type ChatTemplateOptions } from "./tokenizer.js";
export { writeFileAtomic, writeJsonAtomic, withAtomicFile } from "./atomic.js";
