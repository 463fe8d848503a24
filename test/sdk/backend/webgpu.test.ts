// WebGPU in Node (Dawn from the `webgpu` package): without a GPU, use("webgpu") says why it cannot
// start and what the machine has; on Dawn's null adapter (which accepts every call and computes
// nothing) every kernel that a training step and a decode step use is registered for webgpu, and
// both run through without a missing kernel. Synchronous reads fail with advice. Own process.

import { test, after } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { info, use } from "../../../sdk/backend/index.js";
import { stopWebGpu } from "../../../sdk/backend/webgpu.js";
import "../../../sdk/nn/gradients.js";
import { config, create } from "../../../sdk/models/index.js";
import { AdamW } from "../../../sdk/train/adamw.js";
import { causalLmLoss } from "../../../sdk/train/loss.js";
import { fit } from "../../../sdk/train/fit.js";

after(() => stopWebGpu()); // Dawn keeps the process alive while its device is referenced

const IDS = [
  [1, 2, 3, 4, 5, 6],
  [7, 8, 9, 10, 11, 12],
];

/** Builds a small Llama and runs one training step (forward, loss, backward, AdamW) and a short decode.
 *  `anyValues`: the device computes nothing (Dawn's null adapter), so its buffers hold whatever
 *  memory they were given, and generate may rightly refuse logits that are NaN there. */
async function trainAndDecode(anyValues = false): Promise<number> {
  const model = create(config({ family: "llama", vocabSize: 64, dModel: 32, nLayers: 2, nHeads: 4, nKvHeads: 2, dFf: 64, maxSeq: 32 }), {
    seed: 0,
  });
  const params = model.parameters();
  const vars = [...params.values()];
  const nameOf = new Map([...params].map(([n, v]) => [v.name, n]));
  const opt = new AdamW();
  const { value, grads } = tf.variableGrads(() => causalLmLoss(model.logits(IDS), IDS), vars);
  opt.apply(params, new Map(Object.entries(grads).map(([n, g]) => [nameOf.get(n)!, g])), () => ({ lr: 1e-3, weightDecay: 0.01 }));
  const loss = (await value.data())[0]!;
  tf.dispose([value, ...Object.values(grads)]);
  try {
    const out = await model.generate([[1, 2, 3]], { maxNewTokens: 3, eosTokenId: null });
    assert.equal(out[0]!.length, 3);
  } catch (e) {
    if (!(anyValues && /^generate: the logits of row \d+ at new token \d+ hold (NaN|-?Infinity)/.test((e as Error).message))) throw e;
  }
  opt.dispose();
  model.dispose();
  return loss;
}

test("without a GPU adapter, use('webgpu') says why and what the machine has (with one, it starts)", async () => {
  try {
    const i = await use("webgpu");
    assert.equal(i.name, "webgpu"); // a machine with a GPU and its Vulkan driver
    assert.doesNotMatch(i.device, /null-backend/);
  } catch (e) {
    const msg = (e as Error).message;
    assert.match(msg, /backend webgpu is not available \(webgpu: Dawn found no GPU adapter \(Vulkan loader .*Vulkan drivers \(ICD files\)/);
    assert.match(msg, /use\("webgpu", \{ dawn: \["backend=null"\] \}\)/);
  }
});

test("every kernel of a training step and a decode step is registered for webgpu, and both run on Dawn's null adapter", async () => {
  // the kernels, recorded on cpu: the composites that webgpu runs too (the fused kernels are wasm's)
  await use("cpu");
  const used = new Set<string>();
  const engine = tf.engine();
  const runKernel = engine.runKernel.bind(engine);
  engine.runKernel = ((name: string, inputs: tf.NamedTensorMap, attrs?: tf.NamedAttrMap) => {
    used.add(name);
    return runKernel(name, inputs, attrs);
  }) as typeof engine.runKernel;
  try {
    await trainAndDecode();
  } finally {
    engine.runKernel = runKernel;
  }
  for (const k of ["BatchMatMul", "Softmax", "UnsortedSegmentSum", "Rsqrt", "Sigmoid"]) assert.ok(used.has(k), `recorded ${k}`);

  const i = await use("webgpu", { dawn: ["backend=null"] });
  assert.deepEqual([i.name, i.device, i.math], ["webgpu", "gpu (webgpu: null-backend (null))", "WebGPU (Dawn)"]);
  const missing = [...used].filter((k) => !tf.getKernel(k, "webgpu"));
  assert.deepEqual(missing, [], "kernels missing on webgpu");
  const loss = await trainAndDecode(true); // the null adapter computes nothing: only that it runs
  assert.equal(typeof loss, "number");
  assert.equal(info().name, "webgpu");
});

test("sr.train.fit runs on webgpu (it reads the loss and the gradient norm without blocking)", async () => {
  await use("webgpu", { dawn: ["backend=null"] });
  const model = create(config({ family: "llama", vocabSize: 64, dModel: 32, nLayers: 1, nHeads: 4, dFf: 64, maxSeq: 32 }), { seed: 0 });
  const history = await fit(model, [{ ids: IDS, labels: IDS }], { steps: 2, lr: 1e-3, quiet: true }); // the null adapter computes nothing
  assert.equal(history.steps, 2);
  model.dispose();
  await use("wasm");
});

test("a synchronous read on webgpu in Node is an error that says to await data()", async () => {
  await use("webgpu", { dawn: ["backend=null"] });
  const y = tf.matMul(tf.ones([64, 64]), tf.ones([64, 64])); // big enough to run on the GPU
  assert.throws(() => y.dataSync(), /webgpu in Node: tensors on the GPU cannot be read synchronously .* await tensor\.data\(\)/);
  assert.equal((await y.data()).length, 64 * 64);
  y.dispose();
  await use("wasm");
});
