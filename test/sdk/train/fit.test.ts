import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { fit } from "../../../sdk/train/fit.js";
import { batches } from "../../../sdk/train/batches.js";
import { PROGRESS_HOOK } from "../../../sdk/train/progress.js";
import { useCpu, tinyModel, tokens } from "./helpers.js";

before(useCpu);

const data = () => batches(tokens(), { batchSize: 4, seqLen: 16, seed: 1 });

test("loss falls, and fit leaves tf.memory().numTensors as it found it", async () => {
  const model = tinyModel();
  const before = tf.memory().numTensors;
  const h = await fit(model, data(), { steps: 30, lr: 1e-2, warmup: 3, quiet: true });
  assert.equal(tf.memory().numTensors, before);
  assert.equal(h.loss.length, 30);
  assert.equal(h.steps, 30);
  assert.ok(h.loss[29] < h.loss[0] - 0.5, `loss ${h.loss[0]} -> ${h.loss[29]}`);
  assert.ok(h.tokensPerSecond > 0);
  assert.ok(Math.abs(h.lr[2] - 1e-2) < 1e-12 && h.lr[29] < h.lr[3]);
  model.dispose();
});

test("the same seed gives the same numbers", async () => {
  const run = async () => {
    const m = tinyModel(3);
    const h = await fit(m, data(), { steps: 6, lr: 5e-3, seed: 7, quiet: true, accumulate: 2 });
    const w = Array.from(m.parameters().get("lm_head.weight")!.dataSync());
    m.dispose();
    return { loss: h.loss, w };
  };
  const a = await run();
  const b = await run();
  assert.deepEqual(a.loss, b.loss);
  assert.deepEqual(a.w, b.w);
});

test("params: a predicate freezes everything else; groups carry their own lr", async () => {
  const m = tinyModel();
  const snap = () => new Map([...m.parameters()].map(([n, v]) => [n, Array.from(v.dataSync())]));
  const s0 = snap();
  await fit(m, data(), { steps: 2, quiet: true, params: (n) => n.startsWith("model.layers.0.mlp") });
  const s1 = snap();
  for (const [n, v] of s1)
    assert.equal(
      n.startsWith("model.layers.0.mlp"),
      v.some((x, i) => x !== s0.get(n)![i]),
      n,
    );
  await fit(m, data(), {
    steps: 2,
    quiet: true,
    params: [
      { match: "lm_head", lr: 1e-2 },
      { match: /q_proj/, lr: 0 },
    ],
  });
  const s2 = snap();
  assert.deepEqual(s2.get("model.layers.0.self_attn.q_proj.weight"), s1.get("model.layers.0.self_attn.q_proj.weight"));
  assert.notDeepEqual(s2.get("lm_head.weight"), s1.get("lm_head.weight"));
  assert.deepEqual(s2.get("model.embed_tokens.weight"), s1.get("model.embed_tokens.weight"));
  await assert.rejects(fit(m, data(), { steps: 1, quiet: true, params: ["nope.weight"] }), /nope\.weight/);
  m.dispose();
});

test("options are validated eagerly, naming field, value and range", async () => {
  const m = tinyModel();
  await assert.rejects(fit(m, data(), { steps: 0 }), /steps = 0: expected an integer >= 1/);
  await assert.rejects(fit(m, data(), { steps: 5, lr: -1 }), /lr = -1/);
  await assert.rejects(
    fit(m, data(), { steps: 5, schedule: "exp" as never }),
    /schedule = "exp": expected one of cosine, linear, constant/,
  );
  await assert.rejects(fit(m, data(), { steps: 5, warmup: 9 }), /warmup = 9/);
  await assert.rejects(fit(m, [{ ids: [[1, 99]] }], { steps: 1, quiet: true }), /\[0, 31\]/);
  m.dispose();
});

test("progress goes to onProgress and to the kernel's hook when installed", async () => {
  const m = tinyModel();
  const events: number[] = [];
  const updates: [number, Record<string, unknown>][] = [];
  let done = 0;
  const g = globalThis as Record<symbol, unknown>;
  g[PROGRESS_HOOK] = (label: string, total: number) => {
    assert.equal(label, "train");
    assert.equal(total, 3);
    return { update: (v: number, f: Record<string, unknown>) => updates.push([v, f]), done: () => done++ };
  };
  try {
    const arr = [data()(0), data()(1)];
    await fit(m, arr, {
      steps: 3,
      onProgress: (e) => {
        events.push(e.step);
        assert.ok(e.loss > 0 && e.lr > 0 && e.steps === 3 && e.elapsedMs >= 0);
      },
    });
  } finally {
    delete g[PROGRESS_HOOK];
  }
  assert.deepEqual(events, [1, 2, 3]);
  assert.equal(updates.at(-1)![0], 3);
  assert.ok("loss" in updates.at(-1)![1]);
  assert.equal(done, 1);
  m.dispose();
});

test("History displays as a Vega-Lite v5 line chart of loss per step", async () => {
  const m = tinyModel();
  async function* gen() {
    for (let i = 0; ; i++) yield data()(i);
  }
  const h = await fit(m, gen(), { steps: 3, quiet: true, schedule: "constant" });
  const bundle = (h as unknown as Record<symbol, () => Record<string, any>>)[Symbol.for("Jupyter.display")]();
  const spec = bundle["application/vnd.vegalite.v5+json"];
  assert.equal(spec.$schema, "https://vega.github.io/schema/vega-lite/v5.json");
  assert.equal(spec.mark.type, "line");
  assert.deepEqual(
    spec.data.values.map((r: { step: number }) => r.step),
    [1, 2, 3],
  );
  assert.match(bundle["text/plain"], /History\(3 steps/);
  m.dispose();
});
