// Gradient reversal (Ganin & Lempitsky 2015): the identity going forward, -lambda times the gradient
// coming back. Put between a representation and an adversary, it lets one backward pass train the
// adversary to predict the attribute while pushing the representation to hide it.

import * as tf from "@tensorflow/tfjs-core";
import { ArgumentError } from "../errors.js";

/** x unchanged; its gradient is multiplied by -lambda (lambda >= 0, default 1). */
export function reverseGradient<T extends tf.Tensor>(x: T, lambda = 1): T {
  if (!(typeof lambda === "number" && Number.isFinite(lambda) && lambda >= 0)) {
    throw new ArgumentError("lambda", lambda, "a finite number >= 0", "reverseGradient");
  }
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
    value: tf.clone(args[0] as tf.Tensor), // like x
    gradFunc: (dy: tf.Tensor) => tf.mul(dy, -lambda), // like x
  }));
  return op(x) as T;
}
