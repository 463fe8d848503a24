// The fused kernels in WebAssembly text (see assemble.ts), 128-bit SIMD, on the wasm backend's
// heap. Pointers and byte offsets are i32; every loop runs 4 lanes at a time, then the remaining
// elements one at a time with the same instructions in scalar form: each body is written once, as
// a function of the lane width (`L`). Math per kernel is in the fused op that calls it
// (sdk/backend/fused/).
import type { ValType, WatFunction } from "./assemble.js";

/** One lane width: the vector form (4 x f32) or the scalar tail (1 x f32). */
interface Lanes {
  /** f32x4 or f32 */
  f: string;
  /** i32x4 or i32 */
  i: string;
  load: string;
  store: string;
  /** bytes per step */
  step: number;
  /** what turns an f32 / i32 on the stack into a value of this width */
  splat: string;
  isplat: string;
  /** float lanes -> int lanes (saturating), int lanes -> the same bits as float lanes */
  trunc: string;
  asFloat: string;
  /** min and max that map to one instruction (wasm's f32x4.min/max add NaN and -0 handling; the
   *  "pseudo" ones keep the first operand when either is NaN, which is all these kernels need) */
  min: string;
  max: string;
  /** suffix of the locals of this width ($t_4 is v128, $t_1 is f32), and of the splatted parameters */
  s: string;
  p: string;
}

const VEC: Lanes = {
  f: "f32x4",
  i: "i32x4",
  load: "v128.load align=4",
  store: "v128.store align=4",
  step: 16,
  splat: "f32x4.splat",
  isplat: "i32x4.splat",
  trunc: "i32x4.trunc_sat_f32x4_s",
  asFloat: "",
  min: "f32x4.pmin",
  max: "f32x4.pmax",
  s: "_4",
  p: "_4",
};
const ONE: Lanes = {
  f: "f32",
  i: "i32",
  load: "f32.load",
  store: "f32.store",
  step: 4,
  splat: "",
  isplat: "",
  trunc: "i32.trunc_sat_f32_s",
  asFloat: "f32.reinterpret_i32",
  min: "f32.min",
  max: "f32.max",
  s: "_1",
  p: "",
};

/** Locals named t_4 (v128) and t_1 (f32) for each temporary. */
function temps(...names: string[]): [string, ValType][] {
  return names.flatMap((n) => [
    [`${n}_4`, "v128"],
    [`${n}_1`, "f32"],
  ]);
}

/** v128 copies (name_4) of f32 parameters, for the vector loops. */
function splatted(...names: string[]): { locals: [string, ValType][]; init: string } {
  return {
    locals: names.map((n) => [`${n}_4`, "v128"] as [string, ValType]),
    init: names.map((n) => `local.get $${n} f32x4.splat local.set $${n}_4`).join("\n"),
  };
}

/** for ($i = $i; $i + step <= $end; $i += step) body(L): the vector loop, then the scalar tail. */
function lanes(i: string, end: string, body: (L: Lanes) => string): string {
  return [VEC, ONE]
    .map(
      (L) => `
    block $${i}_done${L.s}
      loop $${i}_loop${L.s}
        local.get $${i} i32.const ${L.step} i32.add local.get $${end} i32.gt_u br_if $${i}_done${L.s}
        ${body(L)}
        local.get $${i} i32.const ${L.step} i32.add local.set $${i}
        br $${i}_loop${L.s}
      end
    end`,
    )
    .join("\n");
}

/** for ($r = 0; $r < $n; $r++) body */
function rows(r: string, n: string, body: string): string {
  return `
  i32.const 0 local.set $${r}
  block $${r}_done
    loop $${r}_loop
      local.get $${r} local.get $${n} i32.ge_u br_if $${r}_done
      ${body}
      local.get $${r} i32.const 1 i32.add local.set $${r}
      br $${r}_loop
    end
  end`;
}

/** Pushes the value at byte offset $i of the array at $ptr (+ $base when given). */
function at(L: Lanes, ptr: string, i: string, base?: string): string {
  return `local.get $${ptr} ${base ? `local.get $${base} i32.add ` : ""}local.get $${i} i32.add ${L.load}`;
}

/** Pushes the address for a store of the array at $ptr, at byte offset $i (+ $base). */
function addr(ptr: string, i: string, base?: string): string {
  return `local.get $${ptr} ${base ? `local.get $${base} i32.add ` : ""}local.get $${i} i32.add`;
}

/** Pushes the constant x in every lane. */
const c = (L: Lanes, x: number) => (L === VEC ? `f32x4.const ${x}` : `f32.const ${x}`);

/**
 * Pushes exp($x) (lanes of L); clobbers $x and the temporaries $n, $r. Range reduction
 * x = n ln2 + r with |r| <= ln2 / 2, then a degree-7 Taylor polynomial in r (relative error below
 * 1e-8, under float32 rounding) times 2^n. n is rounded by adding a magic number, 1.5 * 2^23 + 127,
 * which leaves n + 127 in the low mantissa bits: shifted left by 23 they are the float 2^n (no
 * float-to-int conversion, which V8 lowers to many instructions). x is clamped to
 * [-87.33, 88.37], where n + 127 stays in [1, 254]; NaN stays NaN.
 */
function exp(L: Lanes, x: string, n: string, r: string): string {
  const f = L.f;
  const magic = 12583039; // 1.5 * 2^23 + 127
  return `
    local.get $${x}${L.s} ${c(L, 88.37626266479492)} ${L.min} ${c(L, -87.33654475)} ${L.max} local.set $${x}${L.s}
    local.get $${x}${L.s} ${c(L, Math.LOG2E)} ${f}.mul ${c(L, magic)} ${f}.add local.set $${n}${L.s}
    local.get $${x}${L.s} local.get $${n}${L.s} ${c(L, magic)} ${f}.sub local.tee $${r}${L.s} ${c(L, 0.693359375)} ${f}.mul ${f}.sub
    local.get $${r}${L.s} ${c(L, -2.1219444e-4)} ${f}.mul ${f}.sub local.set $${r}${L.s}
    ${c(L, 1 / 5040)}
    local.get $${r}${L.s} ${f}.mul ${c(L, 1 / 720)} ${f}.add
    local.get $${r}${L.s} ${f}.mul ${c(L, 1 / 120)} ${f}.add
    local.get $${r}${L.s} ${f}.mul ${c(L, 1 / 24)} ${f}.add
    local.get $${r}${L.s} ${f}.mul ${c(L, 1 / 6)} ${f}.add
    local.get $${r}${L.s} ${f}.mul ${c(L, 0.5)} ${f}.add
    local.get $${r}${L.s} ${f}.mul ${c(L, 1)} ${f}.add
    local.get $${r}${L.s} ${f}.mul ${c(L, 1)} ${f}.add
    local.get $${n}${L.s} ${L === ONE ? "i32.reinterpret_f32" : ""} i32.const 23 ${L.i}.shl ${L.asFloat}
    ${f}.mul`;
}

/** Horizontal sum of the v128 local $v, pushed as f32. */
function hsum(v: string): string {
  return `local.get $${v} f32x4.extract_lane 0 local.get $${v} f32x4.extract_lane 1 f32.add
    local.get $${v} f32x4.extract_lane 2 f32.add local.get $${v} f32x4.extract_lane 3 f32.add`;
}

const ptrs = (...names: string[]) => names.map((n) => [n, "i32"] as [string, ValType]);
const f32s = (...names: string[]) => names.map((n) => [n, "f32"] as [string, ValType]);

// ---- AdamW: p, m, v, g -> p1, m1, v1 over n floats ----------------------------------------

const adamwParams = splatted("b1", "a1", "b2", "a2", "decay", "lrc", "ic2", "eps");
const adamw: WatFunction = {
  name: "adamw",
  params: [...ptrs("p", "m", "v", "g", "p1", "m1", "v1", "n"), ...f32s("b1", "a1", "b2", "a2", "decay", "lrc", "ic2", "eps")],
  locals: [...ptrs("i", "end"), ...adamwParams.locals, ...temps("gi", "mi", "vi")],
  body: `
  ${adamwParams.init}
  local.get $n i32.const 2 i32.shl local.set $end
  ${lanes("i", "end", (L) => {
    const f = L.f,
      s = L.s,
      p = L.p;
    return `
    ${at(L, "g", "i")} local.set $gi${s}
    ${at(L, "m", "i")} local.get $b1${p} ${f}.mul local.get $gi${s} local.get $a1${p} ${f}.mul ${f}.add local.set $mi${s}
    ${at(L, "v", "i")} local.get $b2${p} ${f}.mul
    local.get $gi${s} local.get $gi${s} ${f}.mul local.get $a2${p} ${f}.mul ${f}.add local.set $vi${s}
    ${addr("m1", "i")} local.get $mi${s} ${L.store}
    ${addr("v1", "i")} local.get $vi${s} ${L.store}
    ${addr("p1", "i")}
    ${at(L, "p", "i")} local.get $decay${p} ${f}.mul
    local.get $lrc${p} local.get $mi${s} ${f}.mul
    local.get $vi${s} local.get $ic2${p} ${f}.mul ${f}.sqrt local.get $eps${p} ${f}.add
    ${f}.div ${f}.sub ${L.store}`;
  })}`,
};

// ---- RMSNorm: rows of C floats -------------------------------------------------------------

const rmsnorm: WatFunction = {
  name: "rmsnorm",
  params: [...ptrs("x", "w", "y", "nrows", "C"), ...f32s("eps")],
  locals: [...ptrs("r", "o", "i", "end"), ["acc", "v128"], ...f32s("ss", "inv"), ["inv_4", "v128"], ...temps("xi")],
  body: `
  local.get $C i32.const 2 i32.shl local.set $end
  ${rows(
    "r",
    "nrows",
    `
    local.get $r local.get $end i32.mul local.set $o
    ;; ss = sum of x^2 over the row
    f32.const 0 f32x4.splat local.set $acc
    f32.const 0 local.set $ss
    i32.const 0 local.set $i
    ${lanes("i", "end", (L) =>
      L === VEC
        ? `${at(L, "x", "i", "o")} local.tee $xi_4 local.get $xi_4 f32x4.mul local.get $acc f32x4.add local.set $acc`
        : `${at(L, "x", "i", "o")} local.tee $xi_1 local.get $xi_1 f32.mul local.get $ss f32.add local.set $ss`,
    )}
    ${hsum("acc")} local.get $ss f32.add local.set $ss
    ;; inv = 1 / sqrt(ss / C + eps)
    f32.const 1 local.get $ss local.get $C f32.convert_i32_s f32.div local.get $eps f32.add f32.sqrt f32.div local.set $inv
    local.get $inv f32x4.splat local.set $inv_4
    i32.const 0 local.set $i
    ${lanes("i", "end", (L) => `${addr("y", "i", "o")} ${at(L, "x", "i", "o")} local.get $inv${L.p} ${L.f}.mul ${at(L, "w", "i")} ${L.f}.mul ${L.store}`)}`,
  )}`,
};

// dx = inv dy w - x inv^3 mean(dy w x);  dw += dy x inv  (dw zeroed by the caller)
const rmsnormGrad: WatFunction = {
  name: "rmsnorm_grad",
  params: [...ptrs("dy", "x", "w", "dx", "dw", "nrows", "C"), ...f32s("eps")],
  locals: [
    ...ptrs("r", "o", "i", "end"),
    ["acc", "v128"],
    ["accd", "v128"],
    ...f32s("ss", "dot", "inv", "k"),
    ["inv_4", "v128"],
    ["k_4", "v128"],
    ...temps("xi", "di"),
  ],
  body: `
  local.get $C i32.const 2 i32.shl local.set $end
  ${rows(
    "r",
    "nrows",
    `
    local.get $r local.get $end i32.mul local.set $o
    f32.const 0 f32x4.splat local.set $acc
    f32.const 0 f32x4.splat local.set $accd
    f32.const 0 local.set $ss
    f32.const 0 local.set $dot
    i32.const 0 local.set $i
    ${lanes("i", "end", (L) =>
      L === VEC
        ? `${at(L, "x", "i", "o")} local.set $xi_4
           local.get $acc local.get $xi_4 local.get $xi_4 f32x4.mul f32x4.add local.set $acc
           local.get $accd ${at(L, "dy", "i", "o")} ${at(L, "w", "i")} f32x4.mul local.get $xi_4 f32x4.mul f32x4.add local.set $accd`
        : `${at(L, "x", "i", "o")} local.set $xi_1
           local.get $ss local.get $xi_1 local.get $xi_1 f32.mul f32.add local.set $ss
           local.get $dot ${at(L, "dy", "i", "o")} ${at(L, "w", "i")} f32.mul local.get $xi_1 f32.mul f32.add local.set $dot`,
    )}
    ${hsum("acc")} local.get $ss f32.add local.set $ss
    ${hsum("accd")} local.get $dot f32.add local.set $dot
    f32.const 1 local.get $ss local.get $C f32.convert_i32_s f32.div local.get $eps f32.add f32.sqrt f32.div local.set $inv
    local.get $inv local.get $inv f32.mul local.get $inv f32.mul local.get $dot f32.mul local.get $C f32.convert_i32_s f32.div local.set $k
    local.get $inv f32x4.splat local.set $inv_4
    local.get $k f32x4.splat local.set $k_4
    i32.const 0 local.set $i
    ${lanes(
      "i",
      "end",
      (L) => `
      ${at(L, "x", "i", "o")} local.set $xi${L.s}
      ${at(L, "dy", "i", "o")} local.set $di${L.s}
      ${addr("dx", "i", "o")} local.get $inv${L.p} local.get $di${L.s} ${L.f}.mul ${at(L, "w", "i")} ${L.f}.mul
      local.get $xi${L.s} local.get $k${L.p} ${L.f}.mul ${L.f}.sub ${L.store}
      ${addr("dw", "i")} ${at(L, "dw", "i")} local.get $di${L.s} local.get $xi${L.s} ${L.f}.mul local.get $inv${L.p} ${L.f}.mul ${L.f}.add ${L.store}`,
    )}`,
  )}`,
};

// ---- SwiGLU: h = g sigmoid(g) u;  du = dh g s,  dg = dh u s (1 + g (1 - s)) ------------------

const swiglu: WatFunction = {
  name: "swiglu",
  params: ptrs("g", "u", "h", "n"),
  locals: [...ptrs("i", "end"), ...temps("x", "gi", "en", "er")],
  body: `
  local.get $n i32.const 2 i32.shl local.set $end
  ${lanes(
    "i",
    "end",
    (L) => `
    ${at(L, "g", "i")} local.tee $gi${L.s} ${L.f}.neg local.set $x${L.s}
    ${addr("h", "i")}
    local.get $gi${L.s}
    ${c(L, 1)} ${c(L, 1)} ${exp(L, "x", "en", "er")} ${L.f}.add ${L.f}.div
    ${L.f}.mul ${at(L, "u", "i")} ${L.f}.mul ${L.store}`,
  )}`,
};

const swigluGrad: WatFunction = {
  name: "swiglu_grad",
  params: ptrs("dh", "g", "u", "dg", "du", "n"),
  locals: [...ptrs("i", "end"), ...temps("x", "gi", "si", "di", "en", "er")],
  body: `
  local.get $n i32.const 2 i32.shl local.set $end
  ${lanes(
    "i",
    "end",
    (L) => `
    ${at(L, "g", "i")} local.tee $gi${L.s} ${L.f}.neg local.set $x${L.s}
    ${c(L, 1)} ${c(L, 1)} ${exp(L, "x", "en", "er")} ${L.f}.add ${L.f}.div local.set $si${L.s}
    ${at(L, "dh", "i")} local.set $di${L.s}
    ${addr("du", "i")} local.get $di${L.s} local.get $gi${L.s} ${L.f}.mul local.get $si${L.s} ${L.f}.mul ${L.store}
    ${addr("dg", "i")} local.get $di${L.s} ${at(L, "u", "i")} ${L.f}.mul local.get $si${L.s} ${L.f}.mul
    ${c(L, 1)} local.get $gi${L.s} ${c(L, 1)} local.get $si${L.s} ${L.f}.sub ${L.f}.mul ${L.f}.add
    ${L.f}.mul ${L.store}`,
  )}`,
};

// ---- RoPE: x [B, H, T, D], cos/sin [B, T, D]; rows of D, halves of D/2 ----------------------
//   forward:  y1 = x1 c1 - x2 s1,   y2 = x2 c2 + x1 s2
//   backward: d1 = g1 c1 + g2 s2,   d2 = g2 c2 - g1 s1     (the rotation's transpose)

function ropeKernel(name: string, backward: boolean): WatFunction {
  return {
    name,
    params: ptrs("x", "cos", "sin", "y", "B", "H", "T", "D"),
    locals: [...ptrs("q", "nq", "o", "co", "i", "half", "ht"), ...temps("a", "b")],
    body: `
    local.get $D i32.const 1 i32.shl local.set $half ;; bytes in half a row
    local.get $H local.get $T i32.mul local.set $ht
    local.get $B local.get $ht i32.mul local.set $nq
    ${rows(
      "q",
      "nq",
      `
      local.get $q local.get $D i32.mul i32.const 2 i32.shl local.set $o
      ;; the cos/sin row of (b, t) = (q / (H T), q % T)
      local.get $q local.get $ht i32.div_u local.get $T i32.mul local.get $q local.get $T i32.rem_u i32.add
      local.get $D i32.mul i32.const 2 i32.shl local.set $co
      i32.const 0 local.set $i
      ${lanes("i", "half", (L) => {
        const f = L.f,
          s = L.s;
        const a = `local.get $a${s}`,
          b = `local.get $b${s}`;
        const c1 = at(L, "cos", "i", "co"),
          s1 = at(L, "sin", "i", "co");
        const c2 = `local.get $cos local.get $co i32.add local.get $half i32.add local.get $i i32.add ${L.load}`;
        const s2 = `local.get $sin local.get $co i32.add local.get $half i32.add local.get $i i32.add ${L.load}`;
        const out2 = `local.get $y local.get $o i32.add local.get $half i32.add local.get $i i32.add`;
        return `
        ${at(L, "x", "i", "o")} local.set $a${s}
        local.get $x local.get $o i32.add local.get $half i32.add local.get $i i32.add ${L.load} local.set $b${s}
        ${
          backward
            ? `${addr("y", "i", "o")} ${a} ${c1} ${f}.mul ${b} ${s2} ${f}.mul ${f}.add ${L.store}
               ${out2} ${b} ${c2} ${f}.mul ${a} ${s1} ${f}.mul ${f}.sub ${L.store}`
            : `${addr("y", "i", "o")} ${a} ${c1} ${f}.mul ${b} ${s1} ${f}.mul ${f}.sub ${L.store}
               ${out2} ${b} ${c2} ${f}.mul ${a} ${s2} ${f}.mul ${f}.add ${L.store}`
        }`;
      })}`,
    )}`,
  };
}

// ---- Softmax gradient over rows of S: dx = y (dy - sum(dy y)) -------------------------------

const softmaxGrad: WatFunction = {
  name: "softmax_grad",
  params: ptrs("dy", "y", "dx", "nrows", "S"),
  locals: [...ptrs("r", "o", "i", "end"), ["acc", "v128"], ["dot", "f32"], ["dot_4", "v128"]],
  body: `
  local.get $S i32.const 2 i32.shl local.set $end
  ${rows(
    "r",
    "nrows",
    `
    local.get $r local.get $end i32.mul local.set $o
    f32.const 0 f32x4.splat local.set $acc
    f32.const 0 local.set $dot
    i32.const 0 local.set $i
    ${lanes("i", "end", (L) =>
      L === VEC
        ? `local.get $acc ${at(L, "dy", "i", "o")} ${at(L, "y", "i", "o")} f32x4.mul f32x4.add local.set $acc`
        : `local.get $dot ${at(L, "dy", "i", "o")} ${at(L, "y", "i", "o")} f32.mul f32.add local.set $dot`,
    )}
    ${hsum("acc")} local.get $dot f32.add local.tee $dot f32x4.splat local.set $dot_4
    i32.const 0 local.set $i
    ${lanes("i", "end", (L) => `${addr("dx", "i", "o")} ${at(L, "y", "i", "o")} ${at(L, "dy", "i", "o")} local.get $dot${L.p} ${L.f}.sub ${L.f}.mul ${L.store}`)}`,
  )}`,
};

// ---- Softmax cross-entropy over rows of V ----------------------------------------------------

/** $max = max of the row at $o (lanes then tail); uses $i, $acc. */
function rowMax(): string {
  return `
    f32.const -inf f32x4.splat local.set $acc
    f32.const -inf local.set $max
    i32.const 0 local.set $i
    ${lanes("i", "end", (L) =>
      L === VEC
        ? `local.get $acc ${at(L, "l", "i", "o")} f32x4.pmax local.set $acc`
        : `local.get $max ${at(L, "l", "i", "o")} f32.max local.set $max`,
    )}
    local.get $max
    local.get $acc f32x4.extract_lane 0 f32.max local.get $acc f32x4.extract_lane 1 f32.max
    local.get $acc f32x4.extract_lane 2 f32.max local.get $acc f32x4.extract_lane 3 f32.max
    local.tee $max f32x4.splat local.set $max_4`;
}

// stats[2r] = max of row r, stats[2r+1] = sum of exp(l - max); the loss is finished in JavaScript (log)
const crossEntropyRows: WatFunction = {
  name: "cross_entropy_rows",
  params: ptrs("l", "stats", "nrows", "V"),
  locals: [...ptrs("r", "o", "i", "end"), ["acc", "v128"], ["max", "f32"], ["max_4", "v128"], ["sum", "f32"], ...temps("x", "en", "er")],
  body: `
  local.get $V i32.const 2 i32.shl local.set $end
  ${rows(
    "r",
    "nrows",
    `
    local.get $r local.get $end i32.mul local.set $o
    ${rowMax()}
    f32.const 0 f32x4.splat local.set $acc
    f32.const 0 local.set $sum
    i32.const 0 local.set $i
    ${lanes(
      "i",
      "end",
      (L) => `${at(L, "l", "i", "o")} local.get $max${L.p} ${L.f}.sub local.set $x${L.s}
      ${L === VEC ? "local.get $acc" : "local.get $sum"} ${exp(L, "x", "en", "er")} ${L.f}.add ${L === VEC ? "local.set $acc" : "local.set $sum"}`,
    )}
    local.get $stats local.get $r i32.const 3 i32.shl i32.add local.get $max f32.store
    local.get $stats local.get $r i32.const 3 i32.shl i32.add ${hsum("acc")} local.get $sum f32.add f32.store offset=4`,
  )}`,
};

// grad row r = k (softmax(l_r) - onehot(t_r)) with k = scale w_r; zero where k = 0 or t_r is outside [0, V)
const crossEntropyGrad: WatFunction = {
  name: "cross_entropy_grad",
  params: [...ptrs("l", "targets", "weights", "grad", "nrows", "V"), ...f32s("scale")],
  locals: [
    ...ptrs("r", "o", "i", "end", "t"),
    ["acc", "v128"],
    ...f32s("max", "sum", "k", "ks"),
    ["max_4", "v128"],
    ["ks_4", "v128"],
    ...temps("x", "en", "er"),
  ],
  body: `
  local.get $V i32.const 2 i32.shl local.set $end
  ${rows(
    "r",
    "nrows",
    `
    local.get $r local.get $end i32.mul local.set $o
    local.get $targets local.get $r i32.const 2 i32.shl i32.add i32.load local.set $t
    local.get $scale local.get $weights local.get $r i32.const 2 i32.shl i32.add f32.load f32.mul local.set $k
    block $row
      local.get $k f32.const 0 f32.eq local.get $t i32.const 0 i32.lt_s i32.or local.get $t local.get $V i32.ge_s i32.or
      if
        i32.const 0 local.set $i
        ${lanes("i", "end", (L) => `${addr("grad", "i", "o")} ${c(L, 0)} ${L.store}`)}
        br $row
      end
      ${rowMax()}
      f32.const 0 f32x4.splat local.set $acc
      f32.const 0 local.set $sum
      i32.const 0 local.set $i
      ${lanes(
        "i",
        "end",
        (L) => `${at(L, "l", "i", "o")} local.get $max${L.p} ${L.f}.sub local.set $x${L.s}
        ${addr("grad", "i", "o")} ${exp(L, "x", "en", "er")} local.tee $x${L.s} ${L.store}
        ${L === VEC ? "local.get $acc" : "local.get $sum"} local.get $x${L.s} ${L.f}.add ${L === VEC ? "local.set $acc" : "local.set $sum"}`,
      )}
      ;; ks = k / sum of the exponentials
      local.get $k ${hsum("acc")} local.get $sum f32.add f32.div local.tee $ks f32x4.splat local.set $ks_4
      i32.const 0 local.set $i
      ${lanes("i", "end", (L) => `${addr("grad", "i", "o")} ${at(L, "grad", "i", "o")} local.get $ks${L.p} ${L.f}.mul ${L.store}`)}
      local.get $grad local.get $o i32.add local.get $t i32.const 2 i32.shl i32.add
      local.get $grad local.get $o i32.add local.get $t i32.const 2 i32.shl i32.add f32.load local.get $k f32.sub f32.store
    end`,
  )}`,
};

export const KERNELS: WatFunction[] = [
  adamw,
  rmsnorm,
  rmsnormGrad,
  swiglu,
  swigluGrad,
  ropeKernel("rope", false),
  ropeKernel("rope_grad", true),
  softmaxGrad,
  crossEntropyRows,
  crossEntropyGrad,
];
