// Where the IO thread may terminate the main thread's JavaScript (interrupt.ts): the main thread's
// BEFORE_TERMINATION hook refuses while that JavaScript is inside Node's async-hook code, whose
// bookkeeping a termination would leave broken; the end-to-end case is in interrupt.test.ts.
import assert from "node:assert/strict";
import { createHook } from "node:async_hooks";
import { test } from "node:test";
import "../../kernel/executor.js";
import { BEFORE_TERMINATION } from "../../kernel/interrupt.js";

test("the main thread is not readied for termination inside an async hook's callback", async () => {
  const ready = (globalThis as Record<symbol, () => boolean>)[Symbol.for(BEFORE_TERMINATION)];
  assert.equal(typeof ready, "function");
  const answers: boolean[] = [];
  const hook = createHook({
    init() {
      // as if the IO thread's request had landed here, in the middle of Node's emitInit
      if (answers.length === 0) answers.push(ready());
    },
  });
  hook.enable();
  await Promise.resolve(1); // a promise is made: the init hook runs
  hook.disable();
  assert.deepEqual(answers, [false]);
});
