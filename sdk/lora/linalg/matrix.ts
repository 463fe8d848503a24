// Dense float64 matrices in plain JavaScript, for the decompositions tfjs lacks (SVD, QR). Row-major
// storage, as numpy and the safetensors files use; the decompositions work on columns and copy
// them out into one contiguous array each.

export interface Matrix {
  readonly rows: number;
  readonly cols: number;
  /** rows * cols values, row-major: entry (i, j) is data[i * cols + j] */
  readonly data: Float64Array;
}

export function matrix(rows: number, cols: number, data?: ArrayLike<number>): Matrix {
  if (!(Number.isInteger(rows) && rows >= 0 && Number.isInteger(cols) && cols >= 0)) {
    throw new Error(`matrix: shape [${rows}, ${cols}] must be two integers >= 0`);
  }
  if (data && data.length !== rows * cols) throw new Error(`matrix: [${rows}, ${cols}] needs ${rows * cols} values, got ${data.length}`);
  return { rows, cols, data: data ? Float64Array.from(data) : new Float64Array(rows * cols) };
}

/** A matrix from row arrays (all of one length). */
export function fromRows(rows: readonly ArrayLike<number>[]): Matrix {
  const n = rows.length ? rows[0].length : 0;
  const out = matrix(rows.length, n);
  rows.forEach((r, i) => {
    if (r.length !== n) throw new Error(`fromRows: row ${i} has ${r.length} values, row 0 has ${n}`);
    out.data.set(r, i * n);
  });
  return out;
}

/** Row i as a copy. */
export const row = (a: Matrix, i: number): Float64Array => a.data.slice(i * a.cols, (i + 1) * a.cols);

/** The columns of `a`, each a contiguous copy (length a.rows). */
export function columns(a: Matrix): Float64Array[] {
  const out = Array.from({ length: a.cols }, () => new Float64Array(a.rows));
  for (let i = 0; i < a.rows; i++) {
    const base = i * a.cols;
    for (let j = 0; j < a.cols; j++) out[j][i] = a.data[base + j];
  }
  return out;
}

/** The matrix whose column j is cols[j]. */
export function fromColumns(cols: readonly Float64Array[], rows = cols.length ? cols[0].length : 0): Matrix {
  const out = matrix(rows, cols.length);
  cols.forEach((c, j) => {
    for (let i = 0; i < rows; i++) out.data[i * cols.length + j] = c[i];
  });
  return out;
}

export function transpose(a: Matrix): Matrix {
  const out = matrix(a.cols, a.rows);
  for (let i = 0; i < a.rows; i++) for (let j = 0; j < a.cols; j++) out.data[j * a.rows + i] = a.data[i * a.cols + j];
  return out;
}

/** a [m, k] @ b [k, n] -> [m, n]. */
export function matmul(a: Matrix, b: Matrix): Matrix {
  if (a.cols !== b.rows) throw new Error(`matmul: [${a.rows}, ${a.cols}] @ [${b.rows}, ${b.cols}]: inner sizes differ`);
  const out = matrix(a.rows, b.cols);
  const n = b.cols;
  for (let i = 0; i < a.rows; i++) {
    const o = i * n;
    for (let k = 0; k < a.cols; k++) {
      const x = a.data[i * a.cols + k];
      if (x === 0) continue;
      const bk = k * n;
      for (let j = 0; j < n; j++) out.data[o + j] += x * b.data[bk + j];
    }
  }
  return out;
}

export function dot(x: Float64Array, y: Float64Array, from = 0, to = x.length): number {
  let s = 0;
  for (let i = from; i < to; i++) s += x[i] * y[i];
  return s;
}
