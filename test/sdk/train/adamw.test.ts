import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { AdamW } from "../../../sdk/train/adamw.js";
import { clipByGlobalNorm } from "../../../sdk/train/clip.js";
import { useCpu } from "./helpers.js";

before(useCpu);

test("two AdamW steps match the formula, with decoupled weight decay", () => {
  const p = tf.variable(tf.tensor1d([1, -2]));
  const params = new Map([["w", p]]);
  const opt = new AdamW({ beta1: 0.9, beta2: 0.999, eps: 1e-8 });
  const lr = 0.1,
    wd = 0.5;
  const gs = [
    [0.5, -1],
    [0.2, 0.4],
  ];
  let x = [1, -2],
    m = [0, 0],
    v = [0, 0];
  gs.forEach((g, s) => {
    const t = tf.tensor1d(g);
    opt.apply(params, new Map([["w", t]]), () => ({ lr, weightDecay: wd }));
    t.dispose();
    x = x.map((xi, i) => {
      m[i] = 0.9 * m[i] + 0.1 * g[i];
      v[i] = 0.999 * v[i] + 0.001 * g[i] ** 2;
      const mh = m[i] / (1 - 0.9 ** (s + 1)),
        vh = v[i] / (1 - 0.999 ** (s + 1));
      return xi * (1 - lr * wd) - lr * (mh / (Math.sqrt(vh) + 1e-8));
    });
  });
  const got = p.dataSync();
  x.forEach((xi, i) => {
    assert.ok(Math.abs(got[i] - xi) < 1e-6, `${got[i]} vs ${xi}`);
  });
  assert.equal(opt.step, 2);
  opt.dispose();
  p.dispose();
});

test("state() and load() round-trip the moments", async () => {
  const p = tf.variable(
    tf.tensor2d([
      [1, 2],
      [3, 4],
    ]),
  );
  const params = new Map([["w", p]]);
  const a = new AdamW();
  const g = tf.onesLike(p);
  a.apply(params, new Map([["w", g]]), () => ({ lr: 0.01, weightDecay: 0 }));
  const b = new AdamW();
  b.load(a.step, await a.state());
  assert.deepEqual(Array.from(b.m.get("w")!.dataSync()), Array.from(a.m.get("w")!.dataSync()));
  assert.deepEqual(Array.from(b.v.get("w")!.dataSync()), Array.from(a.v.get("w")!.dataSync()));
  assert.equal(b.step, 1);
  a.dispose();
  b.dispose();
  g.dispose();
  p.dispose();
});

test("the global norm of many gradients equals the float64 norm, and no addN takes more than WebGPU binds (7 inputs)", () => {
  const grads = new Map<string, tf.Tensor>();
  let exact = 0;
  for (let i = 0; i < 30; i++) {
    const values = Array.from({ length: 5 }, (_, j) => Math.sin(7 * i + j) * (1 + i / 10));
    for (const v of values) exact += Math.fround(v) ** 2;
    grads.set(`w${i}`, tf.tensor1d(values));
  }
  const widest: number[] = [];
  const engine = tf.engine();
  const runKernel = engine.runKernel.bind(engine);
  engine.runKernel = ((name: string, inputs: tf.NamedTensorMap, attrs?: tf.NamedAttrMap) => {
    if (name === "AddN") widest.push(Object.keys(inputs).length);
    return runKernel(name, inputs, attrs);
  }) as typeof engine.runKernel;
  let norm: number;
  try {
    norm = clipByGlobalNorm(grads, 0).norm;
  } finally {
    engine.runKernel = runKernel;
  }
  assert.ok(Math.abs(norm - Math.sqrt(exact)) <= 1e-5 * Math.sqrt(exact), `${norm} vs ${Math.sqrt(exact)}`);
  assert.ok(widest.length > 0 && Math.max(...widest) <= 7, `addN widths ${widest}`);
  tf.dispose([...grads.values()]);
});

test("clipping by global norm scales all gradients together", () => {
  const grads = new Map<string, tf.Tensor>([
    ["a", tf.tensor1d([3])],
    ["b", tf.tensor1d([4])],
  ]);
  const { grads: out, norm } = clipByGlobalNorm(grads, 1);
  assert.ok(Math.abs(norm - 5) < 1e-6);
  assert.ok(Math.abs(out.get("a")!.dataSync()[0] - 0.6) < 1e-5);
  assert.ok(Math.abs(out.get("b")!.dataSync()[0] - 0.8) < 1e-5);
  tf.dispose([...out.values()]);
  const small = new Map<string, tf.Tensor>([["a", tf.tensor1d([0.1])]]);
  assert.equal(clipByGlobalNorm(small, 1).grads, small);
  tf.dispose([...small.values()]);
});
