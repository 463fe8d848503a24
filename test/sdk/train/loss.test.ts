import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { causalLmLoss, shiftLabels } from "../../../sdk/train/loss.js";
import { useCpu } from "./helpers.js";

before(useCpu);

test("labels shift left by one and -100 is ignored", () => {
  const { targets, weights } = shiftLabels([[5, -100, 7, 8]]);
  assert.deepEqual(targets, [[0, 7, 8, 0]]);
  assert.deepEqual(weights, [[0, 1, 1, 0]]);
});

test("cross-entropy matches a hand computation over the counted positions", () => {
  const B = 2,
    T = 3,
    V = 4;
  const data = Array.from({ length: B * T * V }, (_, i) => Math.sin(i * 1.3));
  const logits = tf.tensor3d(data, [B, T, V]);
  const labels = [
    [1, 2, 3],
    [0, -100, 1],
  ];
  const before = tf.memory().numTensors;
  const loss = causalLmLoss(logits, labels);
  // counted: (b0,t0)->2, (b0,t1)->3, (b1,t1)->1
  const lp = (b: number, t: number, k: number) => {
    const row = data.slice((b * T + t) * V, (b * T + t + 1) * V);
    const m = Math.max(...row);
    return row[k] - m - Math.log(row.reduce((a, x) => a + Math.exp(x - m), 0));
  };
  const want = -(lp(0, 0, 2) + lp(0, 1, 3) + lp(1, 1, 1)) / 3;
  assert.ok(Math.abs(loss.dataSync()[0] - want) < 1e-5, `${loss.dataSync()[0]} vs ${want}`);
  loss.dispose();
  assert.equal(tf.memory().numTensors, before);
  logits.dispose();
});
