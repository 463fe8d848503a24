// Merging experts, tensor by tensor: the average, task arithmetic (= the average at scale 1), and
// TIES against a hand-worked example (trim, elect signs, disjoint mean).

import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { mergeParameters, mergeTensor, trimToDensity } from "../../../sdk/distill/index.js";
import { useWasm } from "./helpers.js";

before(useWasm);

const spec = (method: "average" | "task-arithmetic" | "ties", scale = 1, density = 0.5) => ({ method, weights: {}, scale, density });
const close = (a: ArrayLike<number>, b: number[], tol = 1e-6) => {
  assert.equal(a.length, b.length);
  for (let i = 0; i < b.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) <= tol, `[${i}] ${a[i]} vs ${b[i]} (${Array.from(a)})`);
};

test("average: sum_i w_i theta_i; task arithmetic: base + scale sum_i w_i tau_i (the average at scale 1)", () => {
  tf.tidy(() => {
    const base = tf.tensor1d([1, 2, 3]);
    const a = tf.tensor1d([2, 2, 0]);
    const b = tf.tensor1d([0, 4, 3]);
    close(mergeTensor(base, [a, b], [0.25, 0.75], spec("average")).dataSync(), [0.5, 3.5, 2.25]);
    close(mergeTensor(base, [a, b], [0.25, 0.75], spec("task-arithmetic")).dataSync(), [0.5, 3.5, 2.25]);
    // tau_a = [1, 0, -3], tau_b = [-1, 2, 0]; merged tau = [-0.5, 1.5, -0.75]; scale 2
    close(mergeTensor(base, [a, b], [0.25, 0.75], spec("task-arithmetic", 2)).dataSync(), [0, 5, 1.5]);
  });
});

test("ties: trim to the density, elect each entry's sign by weighted mass, average the agreeing entries", () => {
  tf.tidy(() => {
    const base = tf.zeros([4]);
    // task vectors (base 0): density 0.5 keeps the 2 largest magnitudes of each
    const a = tf.tensor1d([4, -1, 3, 0.5]); // trimmed: [4, 0, 3, 0]
    const b = tf.tensor1d([-2, 5, 0.1, -6]); // trimmed: [0, 5, 0, -6]
    const c = tf.tensor1d([-1, -3, 2, 1]); // trimmed: [0, -3, 2, 0]
    close(trimToDensity(a, 0.5).dataSync(), [4, 0, 3, 0]);
    const w = [0.5, 0.25, 0.25];
    // elected signs of 0.5 a' + 0.25 b' + 0.25 c' = [2, 0.5, 2, -1.5] -> [+, +, +, -]
    // entry 0: only a (+4) -> 4; entry 1: b (+5) agrees, c (-3) does not -> 5;
    // entry 2: a (3, w .5) and c (2, w .25) agree -> (1.5 + 0.5) / 0.75; entry 3: b (-6) -> -6
    close(mergeTensor(base, [a, b, c], w, spec("ties", 1, 0.5)).dataSync(), [4, 5, 2 / 0.75, -6], 1e-5);
    close(mergeTensor(base, [a, b, c], w, spec("ties", 0.5, 0.5)).dataSync(), [2, 2.5, 1 / 0.75, -3], 1e-5);
  });
});

test("mergeParameters merges every named parameter and refuses an expert lacking one", () => {
  const base = new Map([["w", tf.tensor1d([0, 0])]]);
  const experts = new Map([
    ["x", new Map([["w", tf.tensor1d([1, 1])]])],
    ["y", new Map([["w", tf.tensor1d([3, -1])]])],
  ]);
  const out = mergeParameters(base, experts, { method: "average", weights: { x: 0.5, y: 0.5 }, scale: 1, density: 0.2 });
  close(out.get("w")!.dataSync(), [2, 0]);
  experts.get("y")!.delete("w");
  assert.throws(
    () => mergeParameters(base, experts, { method: "average", weights: { x: 0.5, y: 0.5 }, scale: 1, density: 0.2 }),
    /expert "y" has no parameter w of shape \[2\]/,
  );
});
