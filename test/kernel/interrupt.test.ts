// Interrupts through the kernel's own client over real zeromq sockets: the work stops wherever it
// is (a loop that never yields after an await, an async loop on timers, a training run), state
// defined before stays, and TensorFlow.js's engine is consistent afterwards.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { KernelClient, type Reply } from "../../kernel/client.js";

let kernel: KernelClient;

before(async () => {
  kernel = await KernelClient.start({ args: ["--typecheck", "off"], stderr: "ignore" });
});
after(async () => {
  await kernel.shutdown();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function result(r: Reply): string {
  assert.equal(r.reply.content.status, "ok", `${r.reply.content.ename}: ${r.reply.content.evalue}`);
  return r.outputs.find((o) => o.header.msg_type === "execute_result")?.content.data["text/plain"];
}

async function interrupted(code: string, afterMs = 400): Promise<Reply> {
  const running = kernel.execute(code);
  await sleep(afterMs);
  await kernel.interrupt();
  const r = await running;
  assert.equal(r.reply.content.status, "error", `${code} was interrupted`);
  return r;
}

test("code that never yields after an await is stopped, and earlier state stays", async () => {
  await kernel.execute("let kept = 'still here'");
  for (const code of ["await null; while (true) {}", "while (true) { await null }", "for (;;) { await Promise.resolve(1) }"]) {
    const r = await interrupted(code);
    assert.equal(r.reply.content.ename, "InterruptError");
  }
  assert.equal(result(await kernel.execute("kept")), "'still here'");
  assert.equal(result(await kernel.execute("await new Promise((r) => setTimeout(() => r(6 * 7), 10))")), "42");
});

test("a loop of awaits terminated again and again: the kernel lives, and later cells' async output still lands in them", async () => {
  // Each await makes promises, and the cell context's init hook runs for every one: a termination
  // landing inside that hook used to leave Node's hook bookkeeping broken (an abort within a few
  // dozen terminations under load). The kernel now only terminates outside Node's async-hook code.
  for (let i = 0; i < 6; i++) {
    const r = await interrupted("for (;;) { await Promise.resolve(1) }", 200 + 60 * i);
    assert.equal(r.reply.content.ename, "InterruptError");
  }
  const r = await kernel.execute(
    "await null; console.log('after an await'); setTimeout(() => console.log('from a timer'), 1); await new Promise((r) => setTimeout(r, 30)); 7",
  );
  const printed = r.outputs
    .filter((o) => o.header.msg_type === "stream")
    .map((o) => o.content.text)
    .join("");
  assert.equal(printed, "after an await\nfrom a timer\n");
  assert.equal(result(r), "7");
});

test("an async loop on timers stops with the interrupt", async () => {
  await interrupted("globalThis.ticks = 0; while (true) { await new Promise((r) => setTimeout(r, 5)); ticks++ }");
  const first = Number(result(await kernel.execute("ticks")));
  await sleep(300);
  assert.ok(first > 0);
  assert.equal(Number(result(await kernel.execute("ticks"))), first, "no tick after the interrupt");
});

test("user_expressions are interruptible", async () => {
  const running = kernel.execute("1", { userExpressions: { forever: "(() => { while (true) {} })()" } });
  await sleep(400);
  await kernel.interrupt();
  const { reply } = await running;
  assert.equal(reply.content.user_expressions.forever.status, "error");
  assert.equal(reply.content.user_expressions.forever.ename, "InterruptError");
  assert.equal(result(await kernel.execute("2")), "2");
});

test("interrupting sr.train.fit stops it at the next step; the model keeps what it learned", async () => {
  await kernel.execute(
    [
      "const model = sr.models.create({ family: 'llama', vocabSize: 16, dModel: 16, nLayers: 1, nHeads: 2, dFf: 32, maxSeq: 32 });",
      "const w0 = model.parameters().get('model.norm.weight').dataSync().slice();",
      "globalThis.steps = 0;",
    ].join("\n"),
  );
  // Array data: each step's awaits are microtasks only, so the loop never returns to the event loop.
  const r = await interrupted(
    "await sr.train.fit(model, [{ ids: [[1, 2, 3, 4, 5, 6, 7, 8]] }], { steps: 100000, quiet: true, onProgress: (e) => { steps = e.step } })",
    2500,
  );
  assert.match(
    `${r.reply.content.ename}: ${r.reply.content.evalue}`,
    /InterruptedError: fit: step \d+ of 100000: interrupted|InterruptError/,
  );
  const stopped = Number(result(await kernel.execute("steps")));
  assert.ok(stopped > 0 && stopped < 100000, `stopped after ${stopped} steps`);
  await sleep(500);
  assert.equal(Number(result(await kernel.execute("steps"))), stopped, "no step after the interrupt");
  assert.equal(result(await kernel.execute("model.parameters().get('model.norm.weight').dataSync().some((v, i) => v !== w0[i])")), "true");
});

test("after five interrupts of synchronous tfjs work the engine is consistent and a gradient works", async () => {
  await kernel.execute("const w = tf.variable(tf.ones([32]))");
  const base = Number(result(await kernel.execute("tf.memory().numTensors")));
  const loops = [
    "while (true) tf.tidy(() => tf.grad((x) => x.square().sum())(tf.ones([64])).sum())",
    "await null; while (true) tf.tidy(() => tf.variableGrads(() => w.mul(2).sum()).value)",
    "while (true) tf.tidy(() => tf.tidy(() => tf.ones([16, 16]).matMul(tf.ones([16, 16]))))",
    "await null; for (;;) tf.tidy(() => tf.grad((x) => tf.tidy(() => x.mul(x).sum()))(tf.ones([8])))",
    "while (true) tf.tidy(() => tf.grad((x) => x.square().sum())(tf.ones([64])).sum())",
  ];
  for (const code of loops) await interrupted(code, 700);
  const state = JSON.parse(
    result(
      await kernel.execute(
        "const s = tf.engine().state; JSON.stringify({ scopes: s.scopeStack.length, gradientDepth: s.gradientDepth, kernelDepth: s.kernelDepth, tape: s.activeTape })",
      ),
    ).slice(1, -1),
  );
  assert.deepEqual(state, { scopes: 0, gradientDepth: 0, kernelDepth: 0, tape: null });
  const grad = await kernel.execute(
    "const v = tf.variable(tf.tensor1d([1, 2, 3])); const g = tf.variableGrads(() => v.square().sum(), [v]); const out = Array.from(g.grads[v.name].dataSync()); tf.dispose([g.value, ...Object.values(g.grads)]); v.dispose(); out",
  );
  assert.equal(result(grad), "[ 2, 4, 6 ]");
  assert.ok(Number(result(await kernel.execute("tf.memory().numTensors"))) <= base + 1, "the interrupted scopes' tensors were freed");
});

test("an interrupted cell that ends with its own error still leaves the engine as it was", async () => {
  // on the abort the cell opens a scope and fails with its own error, not an interrupt
  const r = await interrupted(
    "await new Promise((_, reject) => sr.runtime.currentSignal().addEventListener('abort', () => { tf.engine().startScope(); reject(new Error('stopped by hand')) }))",
    300,
  );
  assert.equal(r.reply.content.evalue, "stopped by hand");
  assert.equal(result(await kernel.execute("tf.engine().state.scopeStack.length")), "0");
});
