// The WebAssembly text assembler the SIMD kernels are written for: a function assembles, validates
// and computes what its text says (loops, labels, lanes, a scalar tail, shared and unshared
// memory), and bad text is an error naming the function and the instruction.

import { test } from "node:test";
import assert from "node:assert/strict";
import { assemble, type WatFunction } from "../../../sdk/backend/simd/assemble.js";
import { KERNELS } from "../../../sdk/backend/simd/kernels.js";

// y[i] = a x[i] + 1 over n floats: 4 lanes at a time, then one at a time
const axpy: WatFunction = {
  name: "axpy1",
  params: [
    ["x", "i32"],
    ["y", "i32"],
    ["n", "i32"],
    ["a", "f32"],
  ],
  locals: [
    ["i", "i32"],
    ["end", "i32"],
  ],
  body: `
    local.get $n i32.const 2 i32.shl local.set $end
    block $done4 loop $vec4
      local.get $i i32.const 16 i32.add local.get $end i32.gt_u br_if $done4
      local.get $y local.get $i i32.add
      local.get $x local.get $i i32.add v128.load align=4 local.get $a f32x4.splat f32x4.mul f32x4.const 1 f32x4.add
      v128.store align=4
      local.get $i i32.const 16 i32.add local.set $i
      br $vec4
    end end
    block $done1 loop $one ;; the tail
      local.get $i local.get $end i32.ge_u br_if $done1
      local.get $y local.get $i i32.add
      local.get $x local.get $i i32.add f32.load local.get $a f32.mul f32.const 1 f32.add f32.store
      local.get $i i32.const 4 i32.add local.set $i
      br $one
    end end`,
};

for (const shared of [false, true]) {
  test(`a function assembles and computes what it says (${shared ? "shared" : "unshared"} memory)`, () => {
    const memory = shared ? new WebAssembly.Memory({ initial: 1, maximum: 16, shared: true }) : new WebAssembly.Memory({ initial: 1 });
    const bytes = assemble([axpy], { shared });
    assert.ok(WebAssembly.validate(bytes));
    const { axpy1 } = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports as {
      axpy1(x: number, y: number, n: number, a: number): void;
    };
    const f = new Float32Array(memory.buffer);
    for (let i = 0; i < 11; i++) f[i] = i - 5;
    axpy1(0, 64, 11, 0.5);
    assert.deepEqual(
      [...f.subarray(16, 27)],
      Array.from({ length: 11 }, (_, i) => 0.5 * (i - 5) + 1),
    );
    assert.equal(f[27], 0, "nothing written past the end");
  });
}

test("the kernels' module assembles and validates", () => {
  for (const shared of [false, true]) assert.ok(WebAssembly.validate(assemble(KERNELS, { shared })));
});

test("bad text is an error naming the function and what is wrong", () => {
  const fn = (body: string, locals: WatFunction["locals"] = []): WatFunction => ({ name: "bad", params: [["x", "i32"]], locals, body });
  assert.throws(
    () => assemble([fn("local.get $x f32x4.frobnicate drop")], { shared: false }),
    /bad: unknown instruction f32x4\.frobnicate/,
  );
  assert.throws(() => assemble([fn("local.get $nope drop")], { shared: false }), /bad: unknown local \$nope/);
  assert.throws(() => assemble([fn("block $a br $b end")], { shared: false }), /bad: unknown label \$b/);
  assert.throws(() => assemble([fn("block $a loop $b end")], { shared: false }), /bad: 1 block\(s\) not closed/);
  assert.throws(() => assemble([fn("f32.const seven drop")], { shared: false }), /bad: f32\.const seven/);
  assert.throws(() => assemble([fn("nop", [["x", "f32"]])], { shared: false }), /bad: local \$x declared twice/);
});
