// One DiffPrune experiment at a chosen size, for tuning the notebook's configuration quickly:
// fine-tune a core on generated biographies, train subnetworks, measure every row with sr.eval.bias
// and print one JSON line per row (task accuracy, leakage, the majority and label-only rates).
//
//   npm run build && STILLROOM_BLAS_THREADS=1 node tools/diffprune/experiment.mjs '{"correlation":0.8,"lambda":0.3}'
//
// Options (all optional): n, correlation, dModel, nLayers, taskEpochs, taskLr, epochs, fixEpochs,
// lr, adversaryLr, lambda, attributes (default ["gender", "age"]), adversarial (true: also the
// adversarial full fine-tuning row), attacker (sr.eval.bias's attacker options).

import * as sr from "../../dist/sdk/index.js";

const C = {
  n: 2000,
  correlation: 0.8,
  dModel: 32,
  nLayers: 2,
  taskEpochs: 5,
  taskLr: 1e-3,
  epochs: 5,
  fixEpochs: 5,
  lr: 1e-2,
  adversaryLr: 3e-2,
  lambda: 1,
  attributes: ["gender", "age"],
  adversarial: false,
  attacker: { epochs: 20, lr: 1e-3 },
  ...JSON.parse(process.argv[2] ?? "{}"),
};
const t0 = Date.now();
const data = sr.tasks.bios({ n: C.n, seed: 1, correlation: C.correlation });
const cfg = sr.models.config({
  family: "llama",
  vocabSize: data.tokenizer.vocabSize,
  dModel: C.dModel,
  nLayers: C.nLayers,
  nHeads: 2,
  dFf: 2 * C.dModel,
  maxSeq: 64,
});
const fresh = () => sr.models.create(cfg, { seed: 0 });
const core = await sr.diffprune.task(fresh(), data, { epochs: C.taskEpochs, lr: C.taskLr, quiet: true });
const rows = [{ name: "fine-tuned", model: core, changed: 0 }];
if (C.adversarial) {
  const model = await sr.diffprune.task(fresh(), data, {
    epochs: C.taskEpochs,
    lr: C.taskLr,
    adversarial: C.attributes,
    lambda: C.lambda,
    quiet: true,
  });
  rows.push({ name: "adversarial fine-tuning", model, changed: 1 });
}
await sr.diffprune.attribute(core, data, {
  attribute: C.attributes,
  sparsity: 0.1,
  epochs: C.epochs,
  fixEpochs: C.fixEpochs,
  lr: C.lr,
  adversaryLr: C.adversaryLr,
  lambda: C.lambda,
  quiet: true,
});
for (const a of C.attributes)
  rows.push({ name: `DiffPrune ${a}`, model: core.with(sr.diffprune.mask(a)), changed: core.changedShare([a]) });
if (C.attributes.length > 1) {
  for (const combine of ["sum", "mean"]) {
    rows.push({
      name: `DiffPrune ${C.attributes.join(" + ")} (${combine})`,
      model: core.with(sr.diffprune.mask(C.attributes), { combine }),
      changed: core.changedShare(C.attributes),
    });
  }
}
const round = (x) => Math.round(1000 * x) / 1000;
for (const r of rows) {
  const rep = await sr.eval.bias(r.model, data, { attribute: ["gender", "age"], attacker: C.attacker, quiet: true });
  const row = { model: r.name, "task acc": round(rep.task.accuracy), "weights changed": round(r.changed) };
  for (const a of rep.attributes) {
    row[`leakage ${a.attribute}`] = round(a.leakage.accuracy);
    row[`majority ${a.attribute}`] = round(a.leakage.majority);
    row[`label-only ${a.attribute}`] = round(a.labelOnly);
  }
  console.log(JSON.stringify(row));
}
console.log(JSON.stringify({ config: C, seconds: Math.round((Date.now() - t0) / 1000) }));
