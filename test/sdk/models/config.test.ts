import { test } from "node:test";
import assert from "node:assert/strict";
import { config, ConfigError, type ModelConfigInput } from "../../../sdk/models/config.js";

const base: ModelConfigInput = { family: "llama", vocabSize: 64, dModel: 32, nLayers: 2, nHeads: 4, nKvHeads: 2, dFf: 48 };

test("family defaults and derived structure", () => {
  const llama = config(base);
  assert.equal(llama.headDim, 8);
  assert.equal(llama.maxSeq, 2048);
  assert.equal(llama.rmsNormEps, 1e-6);
  assert.deepEqual([llama.qkvBias, llama.outputBias, llama.qkNorm, llama.postNorm], [false, false, false, false]);
  const qwen = config({ ...base, family: "qwen2" });
  assert.deepEqual([qwen.qkvBias, qwen.outputBias, qwen.qkNorm, qwen.postNorm], [true, false, false, false]);
  const olmo = config({ ...base, family: "olmo2" });
  assert.deepEqual([olmo.qkvBias, olmo.qkNorm, olmo.postNorm, olmo.rmsNormEps], [false, true, true, 1e-5]);
  assert.equal(config({ ...base, nKvHeads: undefined }).nKvHeads, 4);
  assert.deepEqual(config(llama), llama, "config(config(x)) = config(x)");
  assert.ok(Object.isFrozen(llama));
});

const BAD: [Partial<ModelConfigInput> & Record<string, unknown>, RegExp][] = [
  [{ family: "gpt2" as never }, /ModelConfig\.family = "gpt2": expected one of llama, qwen2, olmo2/],
  [{ nKvHeads: 3 }, /ModelConfig\.nKvHeads = 3: expected a divisor of nHeads \(4\)/],
  [{ dModel: 0 }, /ModelConfig\.dModel = 0: expected an integer >= 1/],
  [{ vocabSize: 1.5 }, /ModelConfig\.vocabSize = 1\.5: expected an integer >= 1/],
  [{ nHeads: 5, nKvHeads: 5 }, /ModelConfig\.nHeads = 5: expected a divisor of dModel \(32\)/],
  [{ nHead: 4 }, /ModelConfig\.nHead = 4: expected no such field/],
  [{ rmsNormEps: 2 }, /ModelConfig\.rmsNormEps = 2: expected a number in \(0, 1\)/],
  [{ ropeTheta: -1 }, /ModelConfig\.ropeTheta = -1: expected a number > 1/],
  [{ tieEmbeddings: "yes" as never }, /ModelConfig\.tieEmbeddings = "yes": expected true or false/],
  [{ headDim: 7 }, /ModelConfig\.headDim = 7: expected an even number/],
  [{ family: "qwen2", headDim: 16 }, /ModelConfig\.headDim = 16: expected dModel \/ nHeads \(8\) for qwen2/],
  [{ family: "qwen2", attentionBias: true }, /ModelConfig\.attentionBias = true: expected false for qwen2/],
  [{ family: "olmo2", mlpBias: true }, /ModelConfig\.mlpBias = true: expected false for olmo2/],
  [{ eosTokenId: 64 }, /ModelConfig\.eosTokenId = 64: expected null or an integer in \[0, 63\]/],
  [{ eosTokenId: [1, 99] }, /ModelConfig\.eosTokenId\[1\] = 99/],
  [{ ropeScaling: { type: "yarn" } as never }, /ModelConfig\.ropeScaling\.type = "yarn": expected 'llama3'/],
  [
    { ropeScaling: { type: "llama3", factor: 8, lowFreqFactor: 4, highFreqFactor: 1, originalMaxPositionEmbeddings: 8192 } },
    /ModelConfig\.ropeScaling\.highFreqFactor = 1: expected a number > lowFreqFactor \(4\)/,
  ],
  [
    { ropeScaling: { type: "llama3", factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 0 } },
    /ModelConfig\.ropeScaling\.originalMaxPositionEmbeddings = 0: expected an integer >= 1/,
  ],
];

for (const [patch, pattern] of BAD) {
  test(`rejects ${JSON.stringify(patch)} naming field, value and range`, () => {
    assert.throws(
      () => config({ ...base, ...patch } as ModelConfigInput),
      (e: Error) => {
        assert.ok(e instanceof ConfigError);
        assert.match(e.message, pattern);
        return true;
      },
    );
  });
}

test("llama 3 rope scaling is accepted and kept", () => {
  const rs = { type: "llama3" as const, factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 8192 };
  assert.deepEqual(config({ ...base, ropeScaling: rs }).ropeScaling, rs);
});
