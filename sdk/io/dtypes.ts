// Safetensors dtypes: byte sizes, and conversion between stored bytes and JS typed arrays.
// Floating point dtypes decode to Float32Array (F16 and BF16 widen exactly; F64 rounds);
// integer dtypes decode to the matching typed array (I64 to BigInt64Array).

export const DTYPE_BYTES = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
} as const;

export type Dtype = keyof typeof DTYPE_BYTES;
export type FloatDtype = "F64" | "F32" | "F16" | "BF16";
export type TensorArray = Float32Array | BigInt64Array | Int32Array | Int16Array | Int8Array | Uint8Array;

export const DTYPES = Object.keys(DTYPE_BYTES) as Dtype[];

export function isDtype(s: unknown): s is Dtype {
  return typeof s === "string" && Object.hasOwn(DTYPE_BYTES, s);
}

export function isFloatDtype(d: Dtype): d is FloatDtype {
  return d === "F64" || d === "F32" || d === "F16" || d === "BF16";
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

// ---- float16 / bfloat16 bit conversions (round to nearest even) ----

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 value -> float16 bits, round to nearest even; overflow -> inf, NaN stays NaN. */
export function toFloat16Bits(v: number): number {
  f32[0] = v;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign; // below half the smallest subnormal
    mant |= 0x800000; // implicit leading one
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rem > halfway || (rem === halfway && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++; // a carry into the exponent is correct
  return sign | half;
}

let halfTable: Float32Array | null = null;

/** All 65536 float16 values, built once. */
function float16Table(): Float32Array {
  if (halfTable) return halfTable;
  halfTable = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const s = h & 0x8000 ? -1 : 1;
    const e = (h >> 10) & 0x1f;
    const m = h & 0x3ff;
    halfTable[h] = e === 0 ? s * m * 2 ** -24 : e === 31 ? (m ? NaN : s * Infinity) : s * (1 + m / 1024) * 2 ** (e - 15);
  }
  return halfTable;
}

export function fromFloat16Bits(h: number): number {
  return float16Table()[h & 0xffff];
}

/** float32 value -> bfloat16 bits, round to nearest even; NaN stays NaN. */
export function toBfloat16Bits(v: number): number {
  f32[0] = v;
  const x = u32[0];
  if ((x & 0x7fffffff) > 0x7f800000) return ((x >>> 16) | 0x40) & 0xffff;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

export function fromBfloat16Bits(b: number): number {
  u32[0] = (b & 0xffff) << 16;
  return f32[0];
}

// ---- bytes <-> arrays ----

/** Decode little-endian bytes (a fresh, unshared buffer region) of `dtype` into a typed array. */
export function decode(dtype: Dtype, bytes: Uint8Array): TensorArray {
  const n = bytes.byteLength / DTYPE_BYTES[dtype];
  const aligned = bytes.byteOffset % 8 === 0 ? bytes : bytes.slice();
  const buf = aligned.buffer;
  const off = aligned.byteOffset;
  if (!LITTLE_ENDIAN) throw new Error("safetensors: big-endian hosts are not supported");
  switch (dtype) {
    case "F32":
      return new Float32Array(buf, off, n).slice();
    case "F64":
      return Float32Array.from(new Float64Array(buf, off, n));
    case "F16": {
      const h = new Uint16Array(buf, off, n);
      const table = float16Table();
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = table[h[i]];
      return out;
    }
    case "BF16": {
      const h = new Uint16Array(buf, off, n);
      const out = new Float32Array(n);
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i++) bits[i] = h[i] << 16;
      return out;
    }
    case "I64":
      return new BigInt64Array(buf, off, n).slice();
    case "I32":
      return new Int32Array(buf, off, n).slice();
    case "I16":
      return new Int16Array(buf, off, n).slice();
    case "I8":
      return new Int8Array(buf, off, n).slice();
    case "U8":
    case "BOOL":
      return new Uint8Array(buf, off, n).slice();
  }
}

export type EncodableArray = ArrayLike<number> | BigInt64Array | ArrayLike<bigint>;

/** Encode values into little-endian bytes of `dtype` (floats round to nearest even). */
export function encode(dtype: Dtype, data: EncodableArray): Uint8Array {
  const n = data.length;
  const out = new Uint8Array(n * DTYPE_BYTES[dtype]);
  const buf = out.buffer;
  const num = (i: number) => Number(data[i]);
  switch (dtype) {
    case "F32": {
      const a = new Float32Array(buf);
      for (let i = 0; i < n; i++) a[i] = num(i);
      break;
    }
    case "F64": {
      const a = new Float64Array(buf);
      for (let i = 0; i < n; i++) a[i] = num(i);
      break;
    }
    case "F16": {
      const a = new Uint16Array(buf);
      for (let i = 0; i < n; i++) a[i] = toFloat16Bits(num(i));
      break;
    }
    case "BF16": {
      const a = new Uint16Array(buf);
      for (let i = 0; i < n; i++) a[i] = toBfloat16Bits(num(i));
      break;
    }
    case "I64": {
      const a = new BigInt64Array(buf);
      for (let i = 0; i < n; i++) a[i] = BigInt(data[i]);
      break;
    }
    case "I32": {
      const a = new Int32Array(buf);
      for (let i = 0; i < n; i++) a[i] = num(i);
      break;
    }
    case "I16": {
      const a = new Int16Array(buf);
      for (let i = 0; i < n; i++) a[i] = num(i);
      break;
    }
    case "I8": {
      const a = new Int8Array(buf);
      for (let i = 0; i < n; i++) a[i] = num(i);
      break;
    }
    case "U8":
    case "BOOL": {
      for (let i = 0; i < n; i++) out[i] = num(i);
      break;
    }
  }
  return out;
}
