import { test } from "node:test";
import assert from "node:assert/strict";
import { accuracy, balancedAccuracy, labelOnlyRate, majorityRate, tprGaps } from "../../../sdk/eval/metrics.js";

test("accuracy, balanced accuracy (mean recall over the classes present) and the majority rate", () => {
  const truth = [0, 0, 0, 0, 1, 1, 2, 2, 2, 2];
  const pred = [0, 0, 0, 1, 1, 0, 2, 2, 0, 1];
  assert.equal(accuracy(pred, truth), 6 / 10);
  assert.ok(Math.abs(balancedAccuracy(pred, truth) - (3 / 4 + 1 / 2 + 2 / 4) / 3) < 1e-12);
  assert.equal(majorityRate(truth), 0.4);
  assert.equal(balancedAccuracy([3, 3], [1, 1]), 0, "a class only predicted, never present, does not count");
  assert.throws(() => accuracy([1], [1, 2]), /predictions = "1 values": expected as many as the labels \(2\)/);
  assert.throws(() => majorityRate([]), /at least one example/);
});

test("TPR gaps: per class the spread of true-positive rates across groups; GAP their mean, RMS their root mean square", () => {
  // class 0: group a 2/2, group b 1/2 -> gap 0.5; class 1: group a 1/2, group b 2/2 -> 0.5 (three groups below: c 0/1 -> 1.0)
  // class 2: only group a -> skipped
  const truth = [0, 0, 0, 0, 1, 1, 1, 1, 2, 2];
  const group = [0, 0, 1, 1, 0, 0, 1, 1, 0, 0];
  const pred = [0, 0, 0, 2, 1, 0, 1, 1, 2, 0];
  const g = tprGaps(pred, truth, group);
  assert.deepEqual(
    g.perClass.map((c) => [c.label, c.gap]),
    [
      [0, 0.5],
      [1, 0.5],
    ],
  );
  assert.equal(g.gap, 0.5);
  assert.equal(g.rms, 0.5);
  const g3 = tprGaps([...pred, 0], [...truth, 1], [...group, 2]);
  assert.deepEqual(
    g3.perClass.map((c) => c.gap),
    [0.5, 1],
  );
  assert.equal(g3.gap, 0.75);
  assert.ok(Math.abs(g3.rms - Math.sqrt((0.25 + 1) / 2)) < 1e-12);
  const fair = tprGaps([0, 1, 0, 1], [0, 1, 0, 1], [0, 0, 1, 1]);
  assert.equal(fair.gap, 0);
  assert.ok(Number.isNaN(tprGaps([0], [0], [0]).gap), "no class seen in two groups: no gap to report");
  assert.throws(() => tprGaps([0, 1], [0, 1], [0]), /groups = "1 values": expected as many as the labels \(2\)/);
});

test("label-only rate: each test group guessed as the most frequent group of its task label in the fitting split", () => {
  // fit: label 0 -> groups 0,0,1 (guess 0); label 1 -> 1,1,1,0 (guess 1); label 2 -> 0,1 (tie: 0); overall group 1 (5 of 9)
  const fit = { labels: [0, 0, 0, 1, 1, 1, 1, 2, 2], groups: [0, 0, 1, 1, 1, 1, 0, 0, 1] };
  // test: label 0 group 0 hit, 0/1 miss, 1/1 hit, 2/0 hit, 2/1 miss, 3 (unseen -> 1)/1 hit
  const test_ = { labels: [0, 0, 1, 2, 2, 3], groups: [0, 1, 1, 0, 1, 1] };
  assert.equal(labelOnlyRate(fit, test_), 4 / 6);
  // groups that do not follow the labels: the label-only rate is the majority rate's, 50% here
  assert.equal(labelOnlyRate({ labels: [0, 0, 1, 1], groups: [0, 1, 0, 1] }, { labels: [0, 0, 1, 1], groups: [0, 1, 0, 1] }), 0.5);
  // groups that are the labels: the label gives them away completely
  assert.equal(labelOnlyRate({ labels: [0, 1, 2], groups: [0, 1, 2] }, { labels: [2, 1, 0, 0], groups: [2, 1, 0, 0] }), 1);
  assert.throws(() => labelOnlyRate({ labels: [0, 1], groups: [0] }, test_), /labelOnlyRate \(fit\)/);
});
