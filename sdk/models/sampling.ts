// Choosing the next token from one row of logits: greedy, or temperature / top-k / top-p sampling.

import type { Rng } from "../nn/random.js";

export interface Sampling {
  /** 0 = greedy (argmax) */
  temperature: number;
  /** keep the k most likely tokens; 0 = all */
  topK: number;
  /** keep the smallest set of most likely tokens whose probability reaches p; 1 = all */
  topP: number;
}

export function argmax(row: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
  return best;
}

export function sampleToken(row: Float32Array, s: Sampling, rng: Rng): number {
  if (s.temperature <= 0) return argmax(row);
  const V = row.length;
  let idx: number[] = Array.from({ length: V }, (_, i) => i);
  const filter = (s.topK > 0 && s.topK < V) || s.topP < 1;
  if (filter) {
    idx.sort((a, b) => row[b] - row[a]);
    if (s.topK > 0) idx = idx.slice(0, s.topK);
  }
  let max = -Infinity;
  for (const i of idx) max = Math.max(max, row[i]);
  const p = idx.map((i) => Math.exp((row[i] - max) / s.temperature));
  let total = p.reduce((a, b) => a + b, 0);
  let n = p.length;
  if (s.topP < 1) {
    let cum = 0;
    n = 0;
    while (n < p.length && cum < s.topP * total) cum += p[n++];
    n = Math.max(n, 1);
    total = cum || p[0];
  }
  let u = rng() * total;
  for (let j = 0; j < n; j++) {
    u -= p[j];
    if (u < 0) return idx[j];
  }
  return idx[n - 1];
}
