// Tensor methods (a.matMul(b).transpose()): tfjs-core ships them as side-effect modules whose
// extensionless ESM imports Node cannot load, so they are installed here from the op functions.
// The type-only import below brings tfjs-core's own declarations of the methods.
import * as tf from "@tensorflow/tfjs-core";

// biome-ignore lint/suspicious/noExplicitAny: the ops' signatures vary; each is forwarded as it is
type Method = (this: tf.Tensor, ...args: any[]) => unknown;

/** Methods that call the op of the same name with the tensor first: `x.op(...a)` is `tf.op(x, ...a)`. */
const SAME_NAME = `abs acos acosh add all any argMax argMin asin asinh atan atan2 atanh avgPool batchToSpaceND
  batchNorm broadcastTo cast ceil clipByValue conv1d conv2d conv2dTranspose cos cosh cumprod cumsum depthToSpace
  depthwiseConv2d dilation2d div divNoNan dot elu equal erf euclideanNorm exp expandDims expm1 fft floor floorDiv
  gather greater greaterEqual ifft irfft isFinite isInf isNaN leakyRelu less lessEqual localResponseNormalization
  log log1p logSigmoid logSoftmax logSumExp logicalAnd logicalNot logicalOr logicalXor matMul max maxPool maximum
  mean min minimum mirrorPad mod mul neg norm notEqual oneHot onesLike pad pool pow prelu prod reciprocal relu
  relu6 reshape resizeBilinear resizeNearestNeighbor reverse rfft round rsqrt selu separableConv2d sigmoid sign
  sin sinh slice softmax softplus spaceToBatchND split sqrt square squaredDifference squeeze step stridedSlice
  sub sum tan tanh tile topk transpose unique unsortedSegmentSum unstack zerosLike`.split(/\s+/);

const SPECIAL: Record<string, Method> = {
  as1D() {
    return tf.reshape(this, [this.size]);
  },
  as2D(rows: number, columns: number) {
    return tf.reshape(this, [rows, columns]);
  },
  as3D(rows: number, columns: number, depth: number) {
    return tf.reshape(this, [rows, columns, depth]);
  },
  as4D(r: number, c: number, d: number, d2: number) {
    return tf.reshape(this, [r, c, d, d2]);
  },
  as5D(r: number, c: number, d: number, d2: number, d3: number) {
    return tf.reshape(this, [r, c, d, d2, d3]);
  },
  asScalar() {
    if (this.size !== 1) throw new Error(`asScalar: the tensor has ${this.size} elements, not 1`);
    return tf.reshape(this, []);
  },
  asType(dtype: tf.DataType) {
    return tf.cast(this, dtype);
  },
  flatten() {
    return tf.reshape(this, [this.size]);
  },
  reshapeAs(x: tf.Tensor) {
    return tf.reshape(this, x.shape);
  },
  toBool() {
    return tf.cast(this, "bool");
  },
  toFloat() {
    return tf.cast(this, "float32");
  },
  toInt() {
    return tf.cast(this, "int32");
  },
  where(condition: tf.Tensor, x: tf.Tensor) {
    return tf.where(condition, this, x);
  },
  concat(x: tf.Tensor | tf.Tensor[], axis?: number) {
    return tf.concat([this, ...(x instanceof tf.Tensor ? [x] : x)], axis);
  },
  stack(x: tf.Tensor | tf.Tensor[], axis?: number) {
    return tf.stack([this, ...(x instanceof tf.Tensor ? [x] : x)], axis);
  },
};

export function registerChainedOps(): void {
  const proto = tf.Tensor.prototype as unknown as Record<string, Method>;
  const ops = tf as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const name of SAME_NAME) {
    const op = ops[name] ?? (tf.image as unknown as typeof ops)[name];
    if (typeof op !== "function") throw new Error(`tfjs-core has no op ${name} to chain`);
    proto[name] = function (this: tf.Tensor, ...args: unknown[]) {
      this.throwIfDisposed();
      return op(this, ...args);
    };
  }
  for (const [name, method] of Object.entries(SPECIAL)) {
    proto[name] = function (this: tf.Tensor, ...args: unknown[]) {
      this.throwIfDisposed();
      return method.apply(this, args);
    };
  }
}
