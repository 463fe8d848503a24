// Stage I, layer-wise alignment: the teacher's hidden states go into both models' mixers, and the
// student's hybrid mixers learn to give the teacher's attention outputs. Only the new parameters
// train (feature maps and gates); q, k, v, o stay the teacher's.
//
// Loss: for each layer the MSE between the student's and the teacher's attention-block output
// [B, T, C] (after o_proj), divided by the mean square of the teacher's output, averaged over
// layers. The division makes the loss scale-free across layers and models (a relative error: 0
// is exact, 1 is as far as outputting zeros), so one learning rate suits them all; LoLCATs instead
// multiplies the MSE of per-head outputs by 1000 (METHODS.md leaves the normalisation open).
//
// The teacher runs outside the gradient tape: its inputs and outputs are captured when a batch is
// drawn, before fit computes the loss, and freed when the next one is.

import * as tf from "@tensorflow/tfjs-core";
import type { Model } from "../models/model.js";
import { openSource, type Batch } from "../train/data.js";
import { fit } from "../train/fit.js";
import type { History } from "../train/history.js";
import { HYBRID_NEW_PARAMETERS } from "../xlstm/hybrid-init.js";
import type { ResolvedAlign } from "./options.js";

/** The names of the parameters stage I trains. */
export function newParameterNames(student: Model): string[] {
  const names: string[] = [];
  for (let i = 0; i < student.config.nLayers; i++) for (const p of HYBRID_NEW_PARAMETERS) names.push(`model.layers.${i}.self_attn.${p}`);
  return names;
}

interface AlignBatch extends Batch {
  /** teacher attention inputs and outputs per layer, [B, T, C] each (kept until the next batch) */
  alignInputs: tf.Tensor3D[];
  alignOutputs: tf.Tensor3D[];
}

/** Mean over layers of ||y_S - y_T||^2 / ||y_T||^2, the student's mixers run on the teacher's inputs. */
export function alignLoss(student: Model, inputs: tf.Tensor3D[], outputs: tf.Tensor3D[], mask?: number[][]): tf.Scalar {
  return tf.tidy(() => {
    const terms = inputs.map((x, i) => {
      const y = student.runAttention(i, x, mask ? { attentionMask: mask } : {}); // [B, T, C]
      const want = outputs[i]!; // [B, T, C]
      return tf.div(tf.mean(tf.square(tf.sub(y, want))), tf.add(tf.mean(tf.square(want)), 1e-12)); // []
    });
    return tf.div(tf.addN(terms), terms.length) as tf.Scalar;
  });
}

export async function align(student: Model, teacher: Model, o: ResolvedAlign, label = "align"): Promise<History> {
  const L = student.config.nLayers;
  const paths = Array.from({ length: L }, (_, i) => `model.layers.${i}.self_attn`);
  const pattern = /^model\.layers\.\d+\.self_attn$/;
  const src = await openSource(o.data);
  let held: tf.Tensor[] = [];
  const free = () => {
    tf.dispose(held);
    held = [];
  };
  const next = async (): Promise<AlignBatch> => {
    free();
    const b = await src.next();
    const caps = teacher.capture(b.ids, pattern, b.mask ? { attentionMask: b.mask, training: false } : { training: false });
    const alignInputs = paths.map((p) => caps.get(p)!.input as tf.Tensor3D);
    const alignOutputs = paths.map((p) => caps.get(p)!.output as tf.Tensor3D);
    held = [...alignInputs, ...alignOutputs];
    return { ...b, alignInputs, alignOutputs };
  };
  try {
    return await fit(student, next, {
      steps: o.steps,
      lr: o.lr,
      warmup: o.warmup,
      minLr: o.minLr,
      schedule: "cosine",
      weightDecay: 0,
      params: newParameterNames(student),
      loss: (m, batch) => {
        const b = batch as unknown as AlignBatch;
        return alignLoss(m, b.alignInputs, b.alignOutputs, b.mask);
      },
      label,
    });
  } finally {
    free();
    await src.close();
  }
}
