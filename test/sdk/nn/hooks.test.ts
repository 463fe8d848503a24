import { test, before } from "node:test";
import assert from "node:assert/strict";
import type * as tf from "@tensorflow/tfjs-core";
import { create } from "../../../sdk/models/index.js";
import type { HookCall } from "../../../sdk/nn/module.js";
import { fit } from "../../../sdk/train/fit.js";
import { useCpu } from "../models/helpers.js";

before(useCpu);

const tiny = () => create({ family: "qwen2", vocabSize: 30, dModel: 16, nLayers: 2, nHeads: 2, dFf: 24 }, { seed: 5 });

test("input hooks get all arguments and the batch's attention mask and labels", () => {
  const m = tiny();
  const ids = [
    [0, 0, 7, 8, 9],
    [3, 4, 5, 6, 7],
  ];
  const attentionMask = [
    [0, 0, 1, 1, 1],
    [1, 1, 1, 1, 1],
  ];
  const labels = [
    [-100, -100, 7, 8, 9],
    [3, 4, -100, 6, 7],
  ];
  const seen: { at: string; mask: number[][]; labels: number[][] | null; nArgs: number; ctxKeys: string[] }[] = [];
  const record = (at: string) => (_x: tf.Tensor, call: HookCall) => {
    seen.push({
      at,
      mask: call.batch!.attentionMask.arraySync(),
      labels: call.batch!.labels?.arraySync() ?? null,
      nArgs: call.args.length,
      ctxKeys: call.args.length > 1 ? Object.keys(call.args[1] as object).sort() : [],
    });
  };
  m.hook("model.layers.1.self_attn", { input: record("attn") });
  m.hook("model.layers.0.mlp.up_proj", { input: record("up") });
  m.logits(ids, { attentionMask, labels }).dispose();
  assert.deepEqual(
    seen.map((s) => s.at),
    ["up", "attn"],
  );
  seen.reverse();
  assert.deepEqual(seen[0].mask, attentionMask);
  assert.deepEqual(seen[0].labels, labels);
  assert.equal(seen[0].nArgs, 2, "attention gets (x, ctx)");
  assert.deepEqual(seen[0].ctxKeys, ["bias", "cache", "cos", "keyMask", "offset", "sin"]);
  assert.equal(seen[1].nArgs, 1);
  // no padding, no labels: an all-ones mask and null labels
  seen.length = 0;
  m.logits(ids).dispose();
  assert.deepEqual(seen[0].mask, [
    [1, 1, 1, 1, 1],
    [1, 1, 1, 1, 1],
  ]);
  assert.equal(seen[0].labels, null);
  assert.throws(() => m.logits(ids, { labels: [[1, 2, 3, 4, 5]] }), /labels\.shape = \[1,5\]: expected \[2, 5\] like the ids/);
  assert.throws(
    () => m.logits(ids, { labels: [labels[0], [1, 2, 3, 4, 30]] }),
    /labels\[1\]\[4\] = 30: expected an integer in \[0, 29\] or -100/,
  );
  m.dispose();
});

test("q, k and v projections see the very same input tensor (shared inputs are detectable by id)", () => {
  const m = tiny();
  const ids: number[] = [];
  for (const p of ["q_proj", "k_proj", "v_proj", "o_proj"]) m.hook(`model.layers.0.self_attn.${p}`, { input: (x) => ids.push(x.id) });
  m.logits([[1, 2, 3]]).dispose();
  assert.equal(ids[0], ids[1]);
  assert.equal(ids[1], ids[2]);
  assert.notEqual(ids[2], ids[3]);
  m.dispose();
});

test("during decoding, hooks see the mask of the new tokens only", async () => {
  const m = tiny();
  const masks: number[][][] = [];
  m.hook("model.layers.0.mlp", { input: (_x, call) => masks.push(call.batch!.attentionMask.arraySync()) });
  await m.generate(
    [
      [1, 2, 3],
      [4, 5],
    ],
    { maxNewTokens: 2, eosTokenId: null },
  );
  assert.deepEqual(masks, [
    [
      [1, 1, 1],
      [0, 1, 1],
    ],
    [[1], [1]],
  ]);
  m.dispose();
});

test("fit's default loss hands the batch's labels to hooks", async () => {
  const m = tiny();
  const labels: number[][][] = [];
  m.hook("model.layers.0.self_attn.q_proj", { input: (_x, call) => labels.push(call.batch!.labels!.arraySync()) });
  const batch = { ids: [[1, 2, 3, 4]], mask: [[1, 1, 1, 0]] };
  await fit(m, [batch], { steps: 1, quiet: true });
  assert.deepEqual(labels, [[[1, 2, 3, -100]]]);
  m.dispose();
});
