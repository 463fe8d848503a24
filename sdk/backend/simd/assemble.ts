// A small assembler for WebAssembly text, the subset the SIMD kernels are written in: one module of
// functions over an imported memory (the wasm backend's heap), bodies as linear instruction
// sequences (no folded expressions), blocks without results, locals and labels by $name. It
// runs once when the kernels are first needed (well under a millisecond), so the kernels ship as
// readable text and nothing is compiled at install time.
//
//   local.get $x  v128.load offset=16  f32x4.splat  block $done ... br_if $done ... end
//
// One shorthand: `f32x4.const 0.5` is v128.const with 0.5 in all four lanes.

export type ValType = "i32" | "i64" | "f32" | "f64" | "v128";

export interface WatFunction {
  name: string;
  params: [string, ValType][];
  result?: ValType;
  locals: [string, ValType][];
  /** instructions, whitespace separated; `;;` starts a comment */
  body: string;
}

const VALTYPE: Record<ValType, number> = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c, v128: 0x7b };

/** Opcodes without immediates (one byte, or 0xfd + LEB128 for SIMD). */
const PLAIN: Record<string, number> = {
  unreachable: 0x00,
  nop: 0x01,
  else: 0x05,
  end: 0x0b,
  return: 0x0f,
  drop: 0x1a,
  select: 0x1b,
  "i32.eqz": 0x45,
  "i32.eq": 0x46,
  "i32.ne": 0x47,
  "i32.lt_s": 0x48,
  "i32.lt_u": 0x49,
  "i32.gt_s": 0x4a,
  "i32.gt_u": 0x4b,
  "i32.le_s": 0x4c,
  "i32.le_u": 0x4d,
  "i32.ge_s": 0x4e,
  "i32.ge_u": 0x4f,
  "f32.eq": 0x5b,
  "f32.ne": 0x5c,
  "f32.lt": 0x5d,
  "f32.gt": 0x5e,
  "f32.le": 0x5f,
  "f32.ge": 0x60,
  "i32.add": 0x6a,
  "i32.sub": 0x6b,
  "i32.mul": 0x6c,
  "i32.div_s": 0x6d,
  "i32.div_u": 0x6e,
  "i32.rem_u": 0x70,
  "i32.and": 0x71,
  "i32.or": 0x72,
  "i32.xor": 0x73,
  "i32.shl": 0x74,
  "i32.shr_s": 0x75,
  "i32.shr_u": 0x76,
  "f32.abs": 0x8b,
  "f32.neg": 0x8c,
  "f32.floor": 0x8e,
  "f32.nearest": 0x90,
  "f32.sqrt": 0x91,
  "f32.add": 0x92,
  "f32.sub": 0x93,
  "f32.mul": 0x94,
  "f32.div": 0x95,
  "f32.min": 0x96,
  "f32.max": 0x97,
  "f64.sqrt": 0x9f,
  "f64.add": 0xa0,
  "f64.sub": 0xa1,
  "f64.mul": 0xa2,
  "f64.div": 0xa3,
  "i32.trunc_f32_s": 0xa8,
  "f32.convert_i32_s": 0xb2,
  "f32.demote_f64": 0xb6,
  "f64.promote_f32": 0xbb,
  "i32.reinterpret_f32": 0xbc,
  "f32.reinterpret_i32": 0xbe,
};

const SIMD: Record<string, number> = {
  "i32x4.splat": 0x11,
  "f32x4.splat": 0x13,
  "f32x4.eq": 0x41,
  "f32x4.ne": 0x42,
  "f32x4.lt": 0x43,
  "f32x4.gt": 0x44,
  "f32x4.le": 0x45,
  "f32x4.ge": 0x46,
  "v128.not": 0x4d,
  "v128.and": 0x4e,
  "v128.andnot": 0x4f,
  "v128.or": 0x50,
  "v128.xor": 0x51,
  "v128.bitselect": 0x52,
  "f32x4.ceil": 0x67,
  "f32x4.floor": 0x68,
  "f32x4.trunc": 0x69,
  "f32x4.nearest": 0x6a,
  "i32x4.shl": 0xab,
  "i32x4.shr_s": 0xac,
  "i32x4.shr_u": 0xad,
  "i32x4.add": 0xae,
  "i32x4.sub": 0xb1,
  "i32x4.mul": 0xb5,
  "f32x4.abs": 0xe0,
  "f32x4.neg": 0xe1,
  "f32x4.sqrt": 0xe3,
  "f32x4.add": 0xe4,
  "f32x4.sub": 0xe5,
  "f32x4.mul": 0xe6,
  "f32x4.div": 0xe7,
  "f32x4.min": 0xe8,
  "f32x4.max": 0xe9,
  "f32x4.pmin": 0xea,
  "f32x4.pmax": 0xeb,
  "i32x4.trunc_sat_f32x4_s": 0xf8,
  "f32x4.convert_i32x4_s": 0xfa,
};

/** Loads and stores: opcode, natural alignment (log2); SIMD ones are prefixed. */
const MEMORY: Record<string, [number, number, boolean]> = {
  "i32.load": [0x28, 2, false],
  "f32.load": [0x2a, 2, false],
  "f64.load": [0x2b, 3, false],
  "i32.store": [0x36, 2, false],
  "f32.store": [0x38, 2, false],
  "f64.store": [0x39, 3, false],
  "v128.load": [0x00, 4, true],
  "v128.store": [0x0b, 4, true],
};

/** Saturating truncations (0xfc prefix): NaN gives 0 rather than a trap. */
const SATURATING: Record<string, number> = { "i32.trunc_sat_f32_s": 0x00 };

/** SIMD lane instructions, one lane-index immediate. */
const LANE: Record<string, number> = { "f32x4.extract_lane": 0x1f, "f32x4.replace_lane": 0x20, "i32x4.extract_lane": 0x1b };

function uleb(n: number, out: number[]): void {
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
}

function sleb(n: number, out: number[]): void {
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return;
    }
    out.push(b | 0x80);
  }
}

function name(s: string, out: number[]): void {
  const bytes = new TextEncoder().encode(s);
  uleb(bytes.length, out);
  out.push(...bytes);
}

function section(id: number, body: number[], out: number[]): void {
  out.push(id);
  uleb(body.length, out);
  out.push(...body);
}

/** Assembles one function body; errors name the function and the instruction. */
function assembleBody(fn: WatFunction, funcIndex: Map<string, number>): number[] {
  const locals = new Map<string, number>();
  for (const [n] of [...fn.params, ...fn.locals]) {
    if (locals.has(n)) throw new Error(`wasm assembler: ${fn.name}: local $${n} declared twice`);
    locals.set(n, locals.size);
  }
  const tokens = fn.body
    .replace(/;;[^\n]*/g, " ")
    .split(/\s+/)
    .filter(Boolean);
  const out: number[] = [];
  // locals: one entry per local (runs of one type would be shorter; these bodies are small)
  uleb(fn.locals.length, out);
  for (const [, t] of fn.locals) out.push(1, VALTYPE[t]);
  const labels: (string | null)[] = [];
  const fail = (what: string): never => {
    throw new Error(`wasm assembler: ${fn.name}: ${what}`);
  };
  const localIndex = (tok: string | undefined) => {
    const i = tok?.startsWith("$") ? locals.get(tok.slice(1)) : Number(tok);
    if (i === undefined || !Number.isInteger(i)) fail(`unknown local ${tok}`);
    return i!;
  };
  for (let k = 0; k < tokens.length; k++) {
    const op = tokens[k]!;
    if (op === "block" || op === "loop" || op === "if") {
      out.push(op === "block" ? 0x02 : op === "loop" ? 0x03 : 0x04, 0x40);
      const label = tokens[k + 1]?.startsWith("$") ? tokens[++k]!.slice(1) : null;
      labels.push(label);
    } else if (op === "end") {
      out.push(0x0b);
      labels.pop();
    } else if (op === "br" || op === "br_if") {
      const tok = tokens[++k] ?? "";
      const at = tok.startsWith("$") ? labels.lastIndexOf(tok.slice(1)) : labels.length - 1 - Number(tok);
      if (!Number.isInteger(at) || at < 0 || at >= labels.length) fail(`unknown label ${tok}`);
      out.push(op === "br" ? 0x0c : 0x0d);
      uleb(labels.length - 1 - at, out);
    } else if (op === "local.get" || op === "local.set" || op === "local.tee") {
      out.push(op === "local.get" ? 0x20 : op === "local.set" ? 0x21 : 0x22);
      uleb(localIndex(tokens[++k]), out);
    } else if (op === "call") {
      const tok = tokens[++k]!;
      const i = funcIndex.get(tok.replace(/^\$/, ""));
      if (i === undefined) fail(`unknown function ${tok}`);
      out.push(0x10);
      uleb(i!, out);
    } else if (op === "i32.const") {
      const v = Number(tokens[++k]);
      if (!Number.isInteger(v)) fail(`i32.const ${tokens[k]}`);
      out.push(0x41);
      sleb(v | 0, out);
    } else if (op === "f32x4.const") {
      // shorthand for v128.const with the same f32 in the four lanes
      const v = Number(tokens[++k]);
      if (Number.isNaN(v)) fail(`${op} ${tokens[k]}`);
      out.push(0xfd);
      uleb(0x0c, out);
      const lane = new Uint8Array(new Float32Array([v]).buffer);
      for (let j = 0; j < 4; j++) out.push(...lane);
    } else if (op === "f32.const" || op === "f64.const") {
      const tok = tokens[++k]!;
      const v = tok === "inf" ? Infinity : tok === "-inf" ? -Infinity : tok === "nan" ? NaN : Number(tok);
      if (Number.isNaN(v) && tok !== "nan") fail(`${op} ${tok}`);
      const bytes = op === "f32.const" ? new Uint8Array(new Float32Array([v]).buffer) : new Uint8Array(new Float64Array([v]).buffer);
      out.push(op === "f32.const" ? 0x43 : 0x44, ...bytes);
    } else if (op in MEMORY) {
      const [code, natural, simd] = MEMORY[op]!;
      let offset = 0,
        align = natural;
      while (/^(offset|align)=/.test(tokens[k + 1] ?? "")) {
        const [key, value] = tokens[++k]!.split("=") as [string, string];
        if (key === "offset") offset = Number(value);
        else align = Math.log2(Number(value));
      }
      if (simd) {
        out.push(0xfd);
        uleb(code, out);
      } else out.push(code);
      uleb(align, out);
      uleb(offset, out);
    } else if (op in LANE) {
      out.push(0xfd);
      uleb(LANE[op]!, out);
      out.push(Number(tokens[++k]));
    } else if (op in SATURATING) {
      out.push(0xfc);
      uleb(SATURATING[op]!, out);
    } else if (op in SIMD) {
      out.push(0xfd);
      uleb(SIMD[op]!, out);
    } else if (op in PLAIN) {
      out.push(PLAIN[op]!);
    } else {
      fail(`unknown instruction ${op}`);
    }
  }
  if (labels.length !== 0) fail(`${labels.length} block(s) not closed`);
  out.push(0x0b);
  const sized: number[] = [];
  uleb(out.length, sized);
  return [...sized, ...out];
}

/** A module that imports `env.memory` (shared or not) and exports every function by name. */
export function assemble(functions: WatFunction[], memory: { shared: boolean }): Uint8Array<ArrayBuffer> {
  const out = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  const funcIndex = new Map(functions.map((f, i) => [f.name, i]));
  const types: number[] = [];
  uleb(functions.length, types);
  for (const f of functions) {
    types.push(0x60);
    uleb(f.params.length, types);
    for (const [, t] of f.params) types.push(VALTYPE[t]);
    if (f.result) types.push(1, VALTYPE[f.result]);
    else types.push(0);
  }
  section(1, types, out);
  const imports: number[] = [1];
  name("env", imports);
  name("memory", imports);
  // limits: a shared memory must declare its maximum; 65536 pages (4 GiB) admits any heap
  imports.push(0x02, memory.shared ? 0x03 : 0x00);
  uleb(1, imports);
  if (memory.shared) uleb(65536, imports);
  section(2, imports, out);
  const funcs: number[] = [];
  uleb(functions.length, funcs);
  for (let i = 0; i < functions.length; i++) uleb(i, funcs);
  section(3, funcs, out);
  const exports: number[] = [];
  uleb(functions.length, exports);
  functions.forEach((f, i) => {
    name(f.name, exports);
    exports.push(0x00);
    uleb(i, exports);
  });
  section(7, exports, out);
  const code: number[] = [];
  uleb(functions.length, code);
  for (const f of functions) code.push(...assembleBody(f, funcIndex));
  section(10, code, out);
  return new Uint8Array(out);
}
