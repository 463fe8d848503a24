// The "mlstm_hybrid" layer type in a model: decoding with its state equals the full forward (with
// grouped kv heads, windows larger and smaller than a block, after a prompt and token by token,
// with left padding), the state stays the same size however long the context, padding is treated
// as absent, save/load round-trips the architecture, and bad settings are refused by name.

import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { create, load, type Model, type ModelConfigInput } from "../../../sdk/models/index.js";
import { DecodeCache } from "../../../sdk/nn/kv-cache.js";
import { HybridDecodeState, MLSTM_HYBRID } from "../../../sdk/xlstm/index.js";
import { tempDir } from "../models/helpers.js";
import { expectClose, useWasm } from "./helpers.js";

before(useWasm);

const BASE: ModelConfigInput = { family: "qwen2", vocabSize: 40, dModel: 32, nLayers: 2, nHeads: 4, nKvHeads: 2, dFf: 48, maxSeq: 160 };

function hybrid(settings: Record<string, unknown>, base: ModelConfigInput = BASE, seed = 3): Model {
  const c = { ...base, layerTypes: Array(base.nLayers).fill(MLSTM_HYBRID), layerSettings: { [MLSTM_HYBRID]: settings } };
  const m = create(c, { seed });
  // random gates and feature maps, so that every part of the layer matters
  tf.tidy(() => {
    for (const [name, v] of m.parameters()) {
      if (/(feature_map_[qk]|[ifo]gate)\./.test(name)) v.assign(tf.add(v, tf.randomNormal(v.shape, 0, 0.3, "float32", 7)));
    }
  });
  return m;
}

function ids(B: number, T: number, seed: number): number[][] {
  let a = seed;
  return Array.from({ length: B }, () =>
    Array.from({ length: T }, () => {
      a = (a * 1103515245 + 12345) % 2147483648;
      return a % 40;
    }),
  );
}

/** Logits [B, T, V] of one forward through `cache`, at positions offset .. offset + T - 1. */
function stepLogits(
  m: Model,
  cache: DecodeCache,
  rows: number[][],
  keyMask: number[][] | null = null,
  positions?: number[][],
): Float32Array {
  const [B, T] = [rows.length, rows[0]!.length];
  const pos = positions ?? rows.map(() => Array.from({ length: T }, (_, t) => cache.length + t));
  const y = tf.tidy(() =>
    m.forward(tf.tensor2d(rows, [B, T], "int32"), {
      positions: tf.tensor2d(pos, [B, T], "int32"),
      keyMask: keyMask ? tf.tensor2d(keyMask, [B, keyMask[0]!.length], "float32") : null,
      cache,
    }),
  );
  cache.length += T;
  const out = y.dataSync() as Float32Array;
  y.dispose();
  return out;
}

/** Row-major slice of positions [from, to) of a [B, T, V] array. */
function positionsOf(a: Float32Array, B: number, T: number, V: number, from: number, to: number): number[] {
  const out: number[] = [];
  for (let b = 0; b < B; b++) for (let t = from; t < to; t++) out.push(...a.subarray((b * T + t) * V, (b * T + t + 1) * V));
  return out;
}

for (const [label, settings] of [
  ["window 40 (blocks of 32 fold into the frozen part)", { window: 40, sinks: 3, chunk_size: 16 }],
  ["window 6, no sinks", { window: 6, sinks: 0, chunk_size: 8 }],
  ["window 5, lolcats feature map of 6 columns", { window: 5, sinks: 2, feature_map: "lolcats", feature_dim: 6, chunk_size: 8 }],
] as const) {
  test(`${label}: a prompt then token-by-token decoding gives the full forward's logits`, (t) => {
    const m = hybrid(settings);
    const [B, T, V, P] = [2, 110, 40, 23];
    const x = ids(B, T, 11);
    const full = m.logits(x);
    const want = full.dataSync() as Float32Array;
    full.dispose();
    const before = tf.memory().numTensors;
    const cache = new DecodeCache(m.config.nLayers);
    const got: number[] = [];
    const pre = stepLogits(
      m,
      cache,
      x.map((r) => r.slice(0, P)),
    );
    got.push(...positionsOf(pre, B, P, V, 0, P));
    const steps: Float32Array[] = [];
    for (let s = P; s < T; s++)
      steps.push(
        stepLogits(
          m,
          cache,
          x.map((r) => [r[s]!]),
        ),
      );
    // the decoded rows, re-ordered [B, T, V]
    const decoded: number[] = [];
    for (let b = 0; b < B; b++) for (const a of steps) decoded.push(...a.subarray(b * V, (b + 1) * V));
    expectClose(t, "prompt", got, positionsOf(want, B, T, V, 0, P), 1e-4, 1e-3);
    expectClose(t, "decoded tokens", decoded, positionsOf(want, B, T, V, P, T), 1e-4, 1e-3);
    const state = cache.slots[0]!.state as HybridDecodeState;
    assert.ok(state instanceof HybridDecodeState);
    assert.ok(state.window.windowPositions <= settings.window - 1 + 32, `window holds ${state.window.windowPositions} positions`);
    cache.dispose();
    assert.equal(tf.memory().numTensors, before, "decoding leaks nothing");
    m.dispose();
  });
}

test("a chunk after a prompt (offset > 0, several tokens) continues the state exactly", (t) => {
  const m = hybrid({ window: 12, sinks: 2, chunk_size: 8 });
  const [B, T] = [1, 60];
  const x = ids(B, T, 5);
  const full = m.logits(x);
  const want = full.dataSync() as Float32Array;
  full.dispose();
  const cache = new DecodeCache(m.config.nLayers);
  const got: number[] = [];
  for (const [a, b] of [
    [0, 7],
    [7, 30],
    [30, 31],
    [31, 60],
  ] as const) {
    const part = stepLogits(
      m,
      cache,
      x.map((r) => r.slice(a, b)),
    );
    got.push(...part);
  }
  expectClose(t, "chunks", got, want, 1e-4, 1e-3);
  cache.dispose();
  m.dispose();
});

test("the decoding state is the same size at 60 and at 140 tokens of context", () => {
  const m = hybrid({ window: 16, sinks: 4 });
  const cache = new DecodeCache(m.config.nLayers);
  const x = ids(2, 140, 3);
  stepLogits(
    m,
    cache,
    x.map((r) => r.slice(0, 10)),
  );
  const sizes: number[] = [];
  for (let s = 10; s < 140; s++) {
    stepLogits(
      m,
      cache,
      x.map((r) => [r[s]!]),
    );
    if (s === 59 || s === 139) sizes.push(cache.slots.reduce((a, sl) => a + (sl.state as HybridDecodeState).bytes, 0));
  }
  // the window part moves within [window - 1, window - 1 + block) positions; the mLSTM part is fixed
  const perPosition = 2 * 2 * 8 * 4 * m.config.nLayers; // B * kv heads * head size * float32 * (k and v) * layers
  assert.ok(Math.abs(sizes[0]! - sizes[1]!) < 32 * perPosition, `state bytes ${sizes}`);
  // the current block grows and folds every 16 tokens (the window): the same phase holds as many tensors
  const tensorsBefore = tf.memory().numTensors;
  for (let s = 0; s < 4 * 16; s++) stepLogits(m, cache, [[1], [2]]);
  assert.equal(tf.memory().numTensors, tensorsBefore, "64 more tokens, no more tensors");
  cache.dispose();
  m.dispose();
});

test("left padding (generate's unequal prompts) decodes each row as it decodes alone", async () => {
  const m = hybrid({ window: 8, sinks: 2, chunk_size: 8 }, { ...BASE, eosTokenId: null });
  const prompts = [ids(1, 5, 1)[0]!, ids(1, 17, 2)[0]!, ids(1, 11, 9)[0]!];
  const together = await m.generate(prompts, { maxNewTokens: 14, temperature: 0, eosTokenId: null });
  for (const [b, p] of prompts.entries()) {
    const alone = await m.generate(p, { maxNewTokens: 14, temperature: 0, eosTokenId: null });
    assert.deepEqual(together[b], alone, `row ${b}`);
  }
  m.dispose();
});

test("padding in a training batch is absent: real positions get the logits of the unpadded rows", (t) => {
  const m = hybrid({ window: 5, sinks: 2, chunk_size: 4 });
  const x = ids(1, 14, 4)[0]!;
  const alone = m.logits([x]);
  const want = Array.from(alone.dataSync());
  alone.dispose();
  const V = 40;
  // right padding (trailing) and left padding (leading, positions counted from the first real token)
  const right = m.logits([[...x, 0, 0, 0]], { attentionMask: [[...x.map(() => 1), 0, 0, 0]] });
  expectClose(t, "right padding", Array.from(right.dataSync()).slice(0, 14 * V), want, 1e-5, 1e-4);
  const left = m.logits([[0, 0, 0, ...x]], { attentionMask: [[0, 0, 0, ...x.map(() => 1)]] });
  expectClose(t, "left padding", Array.from(left.dataSync()).slice(3 * V), want, 1e-5, 1e-4);
  tf.dispose([right, left]);
  m.dispose();
});

test("save and load round-trip the hybrid architecture: config.json lists the layer types, logits are identical", async (t) => {
  const m = hybrid({ window: 7, sinks: 1, feature_map: "lolcats", gate_soft_cap: 15 });
  const dir = await tempDir(t);
  await m.save(dir);
  const json = JSON.parse(await readFile(join(dir, "config.json"), "utf8"));
  assert.deepEqual(json.layer_types, [MLSTM_HYBRID, MLSTM_HYBRID]);
  assert.deepEqual(json.layer_type_settings[MLSTM_HYBRID], {
    window: 7,
    sinks: 1,
    feature_map: "lolcats",
    feature_dim: 8,
    chunk_size: 64,
    gate_soft_cap: 15,
  });
  const back = await load(dir);
  const x = ids(2, 30, 8);
  const a = m.logits(x);
  const b = back.logits(x);
  assert.deepEqual(Array.from(b.dataSync()), Array.from(a.dataSync()));
  tf.dispose([a, b]);
  m.dispose();
  back.dispose();
});

test("bad settings are refused naming the setting, the value and the range", () => {
  const make = (settings: Record<string, unknown>) => () => hybrid(settings, { ...BASE, maxSeq: 64 });
  assert.throws(
    make({ window: 65 }),
    /layerSettings\.mlstm_hybrid\.window = 65: expected an integer in \[1, 64\] \(the model's context, maxSeq, is 64 tokens/,
  );
  assert.throws(make({ feature_map: "relu" }), /feature_map = "relu": expected one of "hedgehog", "lolcats"/);
  assert.throws(make({ sinks: -1 }), /sinks = -1: expected an integer in \[0, 64\]/);
  assert.throws(make({ gate_soft_cap: 0 }), /gate_soft_cap = 0: expected a number > 0/);
  assert.throws(make({ windw: 4 }), /windw = 4: expected no such setting/);
});
