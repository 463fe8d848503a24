import assert from "node:assert/strict";
import { afterEach, before, test } from "node:test";
import * as tf from "@tensorflow/tfjs-core";
import { activeBlas } from "../../../sdk/backend/blas/index.js";
import { CANCEL_HOOK, InterruptedError } from "../../../sdk/runtime/cancel.js";
import { collect } from "../../../sdk/eva/collect.js";
import { IncrementalPCA } from "../../../sdk/eva/ipca.js";
import { pcaRunner } from "../../../sdk/eva/pca-runner.js";
import type { Batch } from "../../../sdk/train/data.js";
import { PROGRESS_HOOK } from "../../../sdk/train/progress.js";
import { tiny } from "../lora/helpers.js";
import { useCpu } from "../models/helpers.js";

before(useCpu);
afterEach(() => {
  delete (globalThis as Record<symbol, unknown>)[PROGRESS_HOOK];
  delete (globalThis as Record<symbol, unknown>)[CANCEL_HOOK];
});

/** Seeded batches [4, 10]: rows 1 and 3 left-padded, labels -100 on each row's first real tokens. */
function batches(n: number, seed = 1): Batch[] {
  let s = seed;
  const next = () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  return Array.from({ length: n }, () => {
    const pad = [0, 3, 0, 2];
    const ids = pad.map((p) => Array.from({ length: 10 }, (_, t) => (t < p ? 0 : 1 + Math.floor(next() * 39))));
    const mask = pad.map((p) => Array.from({ length: 10 }, (_, t) => (t < p ? 0 : 1)));
    const labels = ids.map((r, b) => r.map((x, t) => (t < pad[b] + 3 ? -100 : x)));
    return { ids, mask, labels };
  });
}

const QUIET = { quiet: true } as const;

test("the PCA sees exactly the real tokens with a label: the same as an IncrementalPCA fed rows captured by model.capture", async () => {
  const m = tiny();
  const data = batches(3);
  const before = tf.memory().numTensors;
  const acts = await collect(m, data, { targets: ["q_proj", "down_proj"], r: 2, rho: 2, tau: 1, maxIters: 3, ...QUIET });
  assert.equal(tf.memory().numTensors, before, "collect leaves no tensors behind");
  assert.equal(acts.iterations, 3);
  // collect runs OpenBLAS at one thread; so does the reference, for the same rounding
  const blas = activeBlas();
  const threads = blas?.threads() ?? 1;
  blas?.setThreads(1);
  for (const path of ["model.layers.1.self_attn.q_proj", "model.layers.0.mlp.down_proj"]) {
    const ref = new IncrementalPCA(4);
    let tokens = 0;
    for (const b of data) {
      const cap = m.capture(b.ids, [path], { attentionMask: b.mask, labels: b.labels });
      const x = cap.get(path)!.input.arraySync() as number[][][];
      tf.dispose([cap.get(path)!.input, cap.get(path)!.output]);
      const rows = x.flatMap((row, i) => row.filter((_, t) => b.mask![i][t] === 1 && b.labels![i][t] !== -100));
      tokens += rows.length;
      ref.partialFit(rows);
    }
    const got = acts.layers.get(path)!;
    assert.equal(got.tokens, tokens);
    assert.equal(tokens, 3 * (7 + 4 + 7 + 5));
    assert.equal(got.batches, 3);
    got.components.forEach((c, j) => {
      for (let f = 0; f < c.length; f++) assert.ok(Math.abs(c[f] - ref.components[j][f]) < 1e-9, `${path} component ${j}`);
    });
    assert.deepEqual(Array.from(got.singularValues), Array.from(ref.singularValues));
  }
  blas?.setThreads(threads);
  // without the label mask, every real token counts
  const all = await collect(m, data, { targets: ["q_proj"], r: 2, tau: 1, maxIters: 3, useLabelMask: false, ...QUIET });
  assert.equal(all.layers.get("model.layers.0.self_attn.q_proj")!.tokens, 3 * (10 + 7 + 10 + 8));
});

test("layers reading the same input (q/k/v, gate/up) are analysed once; ranks sum to the budget", async () => {
  const m = tiny();
  const acts = await collect(m, batches(4), {
    targets: ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
    r: 2,
    rho: 2,
    tau: 1,
    maxIters: 4,
    ...QUIET,
  });
  const L = (p: string) => acts.layers.get(`model.layers.0.${p}`)!;
  assert.equal(L("self_attn.q_proj").sharesInputWith, null);
  assert.equal(L("self_attn.k_proj").sharesInputWith, "model.layers.0.self_attn.q_proj");
  assert.equal(L("self_attn.v_proj").sharesInputWith, "model.layers.0.self_attn.q_proj");
  assert.equal(L("mlp.up_proj").sharesInputWith, "model.layers.0.mlp.gate_proj");
  assert.equal(L("self_attn.o_proj").sharesInputWith, null);
  assert.equal(L("mlp.down_proj").sharesInputWith, null);
  assert.equal(L("self_attn.v_proj").components, L("self_attn.q_proj").components, "one PCA for the group");
  const ranks = [...acts.layers.values()].map((l) => l.rank);
  assert.equal(
    ranks.reduce((a, b) => a + b, 0),
    2 * 14,
  );
  assert.ok(ranks.every((r) => r >= 0 && r <= 4));
  // within a group the analysed layer holds the group's largest rank
  assert.ok(L("self_attn.q_proj").rank >= Math.max(L("self_attn.k_proj").rank, L("self_attn.v_proj").rank));
  const shown = acts.toString();
  assert.match(shown, /EVA activations: 14 layers, 0 converged \(tau 1\) in 4 batches/);
});

test("convergence: the same batch again leaves the components as they were, so every layer converges on its second batch; the progress bar counts converged layers", async () => {
  const updates: [number, number][] = [];
  const labels: string[] = [];
  (globalThis as Record<symbol, unknown>)[PROGRESS_HOOK] = (label: string, total: number) => ({
    _: labels.push(label),
    update: (v: number) => updates.push([v, total]),
    done: () => updates.push([-1, total]),
  });
  const m = tiny();
  // one batch, cycled: the second update sees the same rows, so the principal directions stay put
  const acts = await collect(m, batches(1), { targets: ["q_proj", "v_proj", "o_proj"], r: 2, tau: 0.999999, ...QUIET });
  assert.equal(acts.iterations, 2, "no layer converges on its first update");
  assert.ok(acts.converged);
  assert.deepEqual(acts.warnings, []);
  assert.deepEqual(labels, ["eva"]);
  assert.deepEqual(updates, [
    [0, 6],
    [0, 6],
    [6, 6],
    [-1, 6],
  ]);
});

/** Runs `fn` with a hook on the embedding: the first token of each forward's first row, in order. */
async function forwardsOf<T extends object>(m: ReturnType<typeof tiny>, fn: () => Promise<T>): Promise<T & { batches: string[] }> {
  const seen: string[] = [];
  const remove = m.hook("model.embed_tokens", { input: (ids) => seen.push(String(ids.dataSync().slice(0, 10))) });
  try {
    return Object.assign(await fn(), { batches: seen });
  } finally {
    remove();
  }
}

const repeats = (xs: string[]) => xs.filter((x, i) => i > 0 && x === xs[i - 1]).length;

test("the PCA on a worker thread, beside the next batch's forward pass, gives exactly what the PCA on the calling thread gives", async () => {
  const m = tiny();
  // batches run ahead for the layers open before the last update: a layer that opens again (its
  // rank grew) makes its batch run again; these configurations do that at least once
  let reruns = 0;
  const targets = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];
  for (const [tau, r, seed] of [
    [0.9, 2, 3],
    [0.99, 3, 5],
    [0.999, 2, 7],
  ]) {
    const opts = { targets, r, tau, maxIters: 40, ...QUIET };
    const here = await forwardsOf(m, () => collect(m, batches(9, seed), { ...opts, parallel: false }));
    const beside = await forwardsOf(m, () => collect(m, batches(9, seed), { ...opts, parallel: true }));
    const what = `tau ${tau}, r ${r}`;
    assert.equal(repeats(here.batches), 0, `${what}: one after the other, no batch runs twice in a row`);
    reruns += repeats(beside.batches);
    assert.equal(beside.iterations, here.iterations, what);
    assert.deepEqual(beside.warnings, here.warnings, what);
    for (const [path, a] of here.layers) {
      const b = beside.layers.get(path)!;
      // bit for bit: the same update code sees the same rows in the same order
      assert.deepEqual(
        {
          ...b,
          components: b.components.map((c) => [...c]),
          singularValues: [...b.singularValues],
          explainedVarianceRatio: [...b.explainedVarianceRatio],
        },
        {
          ...a,
          components: a.components.map((c) => [...c]),
          singularValues: [...a.singularValues],
          explainedVarianceRatio: [...a.explainedVarianceRatio],
        },
        `${what}: ${path}`,
      );
    }
  }
  assert.ok(reruns > 0, "a batch ran again for a layer that opened again");
});

test("a forward stops at the deepest open layer: the blocks above it and the final norm do not run", async () => {
  const m = tiny();
  const ran: string[] = [];
  const removers = ["model.layers.0.mlp", "model.layers.1.self_attn", "model.layers.1.mlp", "model.norm"].map((p) =>
    m.hook(p, { input: () => ran.push(p) }),
  );
  try {
    for (const parallel of [false, true]) {
      ran.length = 0;
      const acts = await collect(m, batches(3), {
        targets: /layers\.0\.self_attn\.(q|o)_proj$/,
        r: 2,
        tau: 1,
        maxIters: 3,
        parallel,
        ...QUIET,
      });
      assert.equal(acts.iterations, 3);
      assert.deepEqual(ran, [], `parallel ${parallel}: nothing above layer 0's o_proj ran`);
    }
    ran.length = 0;
    await collect(m, batches(2), { targets: ["down_proj"], r: 2, tau: 1, maxIters: 2, parallel: false, ...QUIET });
    const twice = ["model.layers.0.mlp", "model.layers.1.self_attn", "model.layers.1.mlp"];
    assert.deepEqual(ran, [...twice, ...twice], "down_proj of the last layer is the deepest: all blocks run, the norm does not");
  } finally {
    for (const r of removers) r();
  }
});

test("a PCA update that fails names the layer and the entry, on the worker as on the calling thread", async () => {
  for (const parallel of [false, true]) {
    const runner = pcaRunner(parallel, true);
    const data = new Float32Array(6 * 4).fill(1);
    data[9] = Number.NaN; // row 2, feature 1
    const ok = new Float32Array(6 * 4).map((_, i) => Math.sin(i));
    await assert.rejects(
      runner.update([
        { key: "a", k: 2, data: ok, n: 6, d: 4, where: "eva.collect: layer.a" },
        { key: "b", k: 2, data, n: 6, d: 4, where: "eva.collect: layer.b" },
      ]),
      /eva\.collect: layer\.b: x\[2\]\[1\] = NaN: expected a finite number$/,
      `parallel ${parallel}`,
    );
    runner.close();
  }
});

test("a layer that never converges within maxIters gets a warning naming it (and the layers sharing its input); the best estimate is used", async () => {
  const m = tiny();
  const warned: string[] = [];
  const warn = console.warn;
  console.warn = (s: string) => warned.push(s);
  try {
    const acts = await collect(m, batches(2), { targets: ["k_proj", "v_proj", "down_proj"], r: 2, tau: 1, maxIters: 5, ...QUIET });
    assert.equal(acts.iterations, 5, "the two batches cycle");
    assert.equal(acts.warnings.length, 4);
    assert.match(
      acts.warnings[0],
      /^model\.layers\.0\.self_attn\.k_proj \(and model\.layers\.0\.self_attn\.v_proj, which read the same input\) did not converge \(tau = 1\) before maxIters = 5 batches ran; its latest estimate is used$/,
    );
    assert.match(acts.warnings[1], /^model\.layers\.0\.mlp\.down_proj did not converge/);
    assert.deepEqual(
      warned,
      acts.warnings.map((w) => `eva.collect: ${w}`),
    );
    assert.equal(acts.layers.get("model.layers.0.mlp.down_proj")!.components.length, 4, "the latest estimate is kept");
    // an iterable that ends says so
    const ended = await collect(m, batches(2)[Symbol.iterator](), { targets: ["o_proj"], r: 2, tau: 1, ...QUIET });
    assert.equal(ended.iterations, 2);
    assert.match(ended.warnings[0], /before the data ran out after 2 batches/);
  } finally {
    console.warn = warn;
  }
});

test("cancellation: the caller's signal or the notebook cell's stops collection at the next batch, with what was done so far", async () => {
  const m = tiny();
  const ctl = new AbortController();
  const data = batches(4);
  const source = (i: number) => {
    if (i === 1) ctl.abort();
    return data[i];
  };
  const before = tf.memory().numTensors;
  const err = await collect(m, source, { targets: ["q_proj"], r: 2, tau: 1, signal: ctl.signal, parallel: false, ...QUIET }).catch(
    (e) => e,
  );
  assert.ok(err instanceof InterruptedError, String(err));
  assert.match(err.message, /^eva\.collect: batch 3: interrupted$/);
  assert.equal((err.partial as { iterations: number }).iterations, 2);
  assert.equal(tf.memory().numTensors, before);
  // with the PCA on the worker, batch 1 is read (and the signal fired) while batch 0's update runs:
  // the stop comes one batch earlier, still at a batch boundary, with batch 0 done
  const ctl2 = new AbortController();
  const source2 = (i: number) => {
    if (i === 1) ctl2.abort();
    return data[i];
  };
  const err2 = await collect(m, source2, { targets: ["q_proj"], r: 2, tau: 1, signal: ctl2.signal, parallel: true, ...QUIET }).catch(
    (e) => e,
  );
  assert.ok(err2 instanceof InterruptedError, String(err2));
  assert.match(err2.message, /^eva\.collect: batch 2: interrupted$/);
  const partial = err2.partial as { iterations: number; layers: ReadonlyMap<string, { batches: number }> };
  assert.equal(partial.iterations, 1);
  assert.equal(partial.layers.get("model.layers.0.self_attn.q_proj")?.batches, 1);
  assert.equal(tf.memory().numTensors, before);
  const cell = new AbortController();
  (globalThis as Record<symbol, unknown>)[CANCEL_HOOK] = () => cell.signal;
  cell.abort();
  await assert.rejects(collect(m, data, { targets: ["q_proj"], ...QUIET }), /eva\.collect: batch 1: interrupted/);
});

test("bad input: each field named, an all-masked batch, too few tokens, too many components, targets matching nothing", async () => {
  const m = tiny();
  const data = batches(2);
  const bad: [object, RegExp][] = [
    [{ targets: ["q_proj"], rho: 0.5 }, /eva\.collect: rho = 0\.5: expected a number >= 1 \(1 keeps ranks uniform\)/],
    [{ targets: ["q_proj"], tau: 1.5 }, /eva\.collect: tau = 1\.5: expected a number in \[0, 1\] \(a cosine similarity\)/],
    [{ targets: ["q_proj"], tau: -0.1 }, /tau = -0\.1: expected a number in \[0, 1\]/],
    [{ targets: ["q_proj"], r: 0 }, /eva\.collect: r = 0: expected an integer >= 1/],
    [{ targets: ["q_proj"], maxIters: 0 }, /maxIters = 0: expected an integer >= 1/],
    [{ targets: ["q_proj"], useLabelMask: "yes" }, /useLabelMask = "yes": expected true or false/],
    [{ r: 2 }, /eva\.collect: targets = undefined: expected the layers to analyse/],
    [{ targets: ["q_porj"] }, /eva\.collect: targets entry "q_porj" matches no linear layer\. The linear layers are names q_proj, k_proj/],
  ];
  for (const [o, re] of bad) await assert.rejects(collect(m, data, { ...QUIET, ...o } as never), re);
  await assert.rejects(
    collect(m, data, { targets: ["q_proj"], r: 9, rho: 2, ...QUIET }),
    /r \* rho = 18: expected at most 16: model\.layers\.0\.self_attn\.q_proj has 16 inputs/,
  );
  const masked = data.map((b) => ({ ...b, labels: b.ids.map((r) => r.map(() => -100)) }));
  await assert.rejects(
    collect(m, masked, { targets: ["q_proj"], ...QUIET }),
    /eva\.collect: batch 0 has no token left after masking \(all 35 real tokens have label -100\); .* or pass useLabelMask: false/,
  );
  const noMask = data.map((b) => ({ ...b, mask: b.ids.map((r) => r.map(() => 0)) }));
  await assert.rejects(
    collect(m, noMask, { targets: ["q_proj"], useLabelMask: false, ...QUIET }),
    /\(the attention mask is 0 everywhere\)/,
  );
  // 23 labelled tokens per batch, 24 components wanted: no batch can update the layer
  await assert.rejects(
    collect(m, data, { targets: ["down_proj"], r: 8, rho: 3, maxIters: 3, ...QUIET }),
    /model\.layers\.0\.mlp\.down_proj, model\.layers\.1\.mlp\.down_proj never saw a batch with at least 24 tokens/,
  );
  await assert.rejects(collect(m, [] as Batch[], { targets: ["q_proj"], ...QUIET }), /eva\.collect: data is an empty array/);
  await assert.rejects(collect(m, 5 as never, { targets: ["q_proj"], ...QUIET }), /eva\.collect: data must be an array of batches/);
});
