// The untrained student is a sensible start (sdk/xlstm/hybrid-init.ts says why): within the window
// its softmax branch is the teacher's attention exactly, so with the output gate closed it gives the
// teacher's logits; as initialised, each layer is within the 0.1 mix of the teacher's output; and
// the mLSTM branch starts at the scale of the attention output (the input gate fills the
// normaliser), which the reference's input-gate bias of 0 does not.

import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { linearize, STUDENT_DEFAULTS } from "../../../sdk/distill/index.js";
import type { Model } from "../../../sdk/models/index.js";
import { relError, tinyTeacher, useWasm } from "./helpers.js";

before(useWasm);

const IDS = [
  [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3, 2, 3, 8, 4],
  [2, 7, 1, 8, 2, 8, 1, 8, 2, 8, 4, 5, 9, 0, 4, 5, 2, 3, 5, 3],
];

function setGateBias(m: Model, gate: "ogate" | "igate", value: number): void {
  for (const [n, v] of m.parameters()) if (n.endsWith(`${gate}.bias`)) v.assign(tf.fill(v.shape, value));
}

/** Each layer's attention output, the student's mixer run on the teacher's input: relative errors and norm ratios. */
function layerErrors(student: Model, teacher: Model): { rel: number; ratio: number }[] {
  const caps = teacher.capture(IDS, /self_attn$/);
  const out = [...caps.values()].map((c, i) => {
    const y = student.runAttention(i, c.input as tf.Tensor3D);
    const r = {
      rel: relError(y, c.output),
      ratio: tf.tidy(() => Math.sqrt(tf.sum(tf.square(y)).dataSync()[0]! / tf.sum(tf.square(c.output)).dataSync()[0]!)),
    };
    y.dispose();
    return r;
  });
  tf.dispose([...caps.values()].flatMap((c) => [c.input, c.output]));
  return out;
}

test("with the output gate closed, a student within its window gives the teacher's logits", () => {
  for (const over of [{}, { family: "qwen2" as const }, { family: "olmo2" as const }]) {
    const teacher = tinyTeacher(2, over);
    const s = linearize(teacher, { ...STUDENT_DEFAULTS, window: 32, featureDim: undefined });
    setGateBias(s, "ogate", -40);
    const a = teacher.logits(IDS);
    const b = s.logits(IDS);
    assert.ok(relError(b, a) < 1e-5, `${teacher.config.family}: relative error ${relError(b, a)}`);
    tf.dispose([a, b]);
    teacher.dispose();
    s.dispose();
  }
});

test("as initialised, each layer is within the 0.1 mix of the teacher's, and the mLSTM branch has the attention's scale", () => {
  const teacher = tinyTeacher(3, { dModel: 64, dFf: 64 }); // heads of 16: the damping grows with the feature count
  const s = linearize(teacher, { ...STUDENT_DEFAULTS, window: 32, featureDim: undefined });
  for (const [i, e] of layerErrors(s, teacher).entries()) assert.ok(e.rel < 0.1, `layer ${i}: relative error ${e.rel}`);
  setGateBias(s, "ogate", 40); // the mLSTM branch alone
  const mlstm = layerErrors(s, teacher);
  for (const [i, e] of mlstm.entries())
    assert.ok(e.ratio > 0.7 && e.ratio < 1.4, `layer ${i}: mLSTM output / attention output = ${e.ratio}`);
  setGateBias(s, "igate", 0); // the xLSTM reference's input-gate start
  for (const [i, e] of layerErrors(s, teacher).entries())
    assert.ok(e.ratio < 0.5, `layer ${i}: with input bias 0 the branch is damped to ${e.ratio}`);
  teacher.dispose();
  s.dispose();
});
