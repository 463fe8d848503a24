// Gradients of a scalar loss with respect to chosen variables. tf.variableGrads drops variables
// marked trainable = false; fit decides itself which variables train (params may name frozen ones),
// so it asks the engine for exactly the variables it chose.

import * as tf from "@tensorflow/tfjs-core";

/** Like tf.variableGrads(f, vars), for exactly `vars`: {value, grads by variable name}; unconnected ones get none. */
export function gradientsOf(f: () => tf.Scalar, vars: tf.Variable[]): { value: tf.Scalar; grads: Record<string, tf.Tensor> } {
  const { value, grads } = tf.engine().gradients(f, vars, undefined, true);
  const out: Record<string, tf.Tensor> = {};
  vars.forEach((v, i) => {
    if (grads[i]) out[v.name] = grads[i];
  });
  return { value: value as tf.Scalar, grads: out };
}
