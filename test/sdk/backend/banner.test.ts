// tfjs's cpu backend greets its first tensor in Node with "Hi, looks like you are running
// TensorFlow.js in Node.js ..." on stderr, which a notebook shows under whichever cell made that
// tensor. sdk/backend silences it. Own process: the banner comes once per process.

import { test } from "node:test";
import assert from "node:assert/strict";

test("no tfjs-node banner when the cpu backend makes its first tensor", async () => {
  const seen: string[] = [];
  const warn = console.warn;
  const write = process.stderr.write.bind(process.stderr);
  console.warn = (...args: unknown[]) => void seen.push(args.map(String).join(" "));
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
    seen.push(String(chunk));
    return write(chunk, ...rest);
  }) as typeof process.stderr.write;
  try {
    const { use } = await import("../../../sdk/backend/index.js");
    const tf = await import("@tensorflow/tfjs-core");
    await use("cpu");
    tf.tensor1d([1, 2, 3]).dispose();
  } finally {
    console.warn = warn;
    process.stderr.write = write;
  }
  assert.deepEqual(
    seen.filter((s) => s.includes("TensorFlow.js in Node.js")),
    [],
  );
});
