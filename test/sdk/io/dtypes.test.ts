import { test } from "node:test";
import assert from "node:assert/strict";
import { decode, encode, fromBfloat16Bits, fromFloat16Bits, toBfloat16Bits, toFloat16Bits } from "../../../sdk/io/dtypes.js";

test("float16: known values, rounding to nearest even, overflow, subnormals", () => {
  assert.equal(toFloat16Bits(1), 0x3c00);
  assert.equal(toFloat16Bits(-2), 0xc000);
  assert.equal(toFloat16Bits(65504), 0x7bff);
  assert.equal(toFloat16Bits(65520), 0x7c00); // halfway to the next binade rounds to inf
  assert.equal(toFloat16Bits(1e6), 0x7c00);
  assert.equal(toFloat16Bits(-Infinity), 0xfc00);
  assert.equal(toFloat16Bits(2 ** -24), 0x0001);
  assert.equal(toFloat16Bits(2 ** -25), 0x0000); // tie -> even (zero)
  assert.equal(toFloat16Bits(1.5 * 2 ** -25), 0x0001);
  assert.equal(toFloat16Bits(-0), 0x8000);
  assert.equal(toFloat16Bits(1 + 2 ** -11), 0x3c00); // tie -> even
  assert.equal(toFloat16Bits(1 + 3 * 2 ** -11), 0x3c02); // tie -> even (up)
  assert.ok(Number.isNaN(fromFloat16Bits(toFloat16Bits(NaN))));
});

test("float16: every finite value survives bits -> float -> bits", () => {
  for (let h = 0; h < 65536; h++) {
    const v = fromFloat16Bits(h);
    if (Number.isNaN(v)) continue;
    assert.equal(toFloat16Bits(v), h, `bits 0x${h.toString(16)}`);
  }
});

test("bfloat16: known values, ties to even, every value round trips", () => {
  assert.equal(toBfloat16Bits(1), 0x3f80);
  assert.equal(toBfloat16Bits(1 + 2 ** -8), 0x3f80); // tie -> even
  assert.equal(toBfloat16Bits(1 + 3 * 2 ** -8), 0x3f82); // tie -> even (up)
  assert.ok(Number.isNaN(fromBfloat16Bits(toBfloat16Bits(NaN))));
  for (let b = 0; b < 65536; b++) {
    const v = fromBfloat16Bits(b);
    if (Number.isNaN(v)) continue;
    assert.equal(toBfloat16Bits(v), b);
  }
});

test("encode/decode round trips every dtype", () => {
  const f = Float32Array.from([0, 1.5, -2.25, 1024, 3.140625]);
  for (const d of ["F32", "F16", "BF16", "F64"] as const) {
    assert.deepEqual(Array.from(decode(d, encode(d, f)) as Float32Array), Array.from(f), d);
  }
  assert.deepEqual(decode("I64", encode("I64", [1, -2, 2 ** 40])), BigInt64Array.from([1n, -2n, 2n ** 40n]));
  assert.deepEqual(decode("I32", encode("I32", [1, -2, 7])), Int32Array.from([1, -2, 7]));
  assert.deepEqual(decode("U8", encode("U8", [0, 255])), Uint8Array.from([0, 255]));
  assert.deepEqual(decode("I8", encode("I8", [-128, 127])), Int8Array.from([-128, 127]));
  assert.deepEqual(decode("I16", encode("I16", [-300, 300])), Int16Array.from([-300, 300]));
});
