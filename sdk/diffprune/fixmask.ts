// The switch from gates to a fixed mask: keep the `fraction` of diff entries with the largest
// |z_eval * w|, the cutoff global over all of one subnetwork's parameters (embeddings and norms
// included, as in the reference), and exactly round(fraction * N) of them: entries tied at the cutoff
// are taken in parameter order, then index order, until the count is reached.

import { ArgumentError } from "../errors.js";

/** name -> 0/1 mask with exactly round(fraction * total) ones over all of `values` (by |value|). */
export function topFractionMasks(values: ReadonlyMap<string, Float32Array>, fraction: number): Map<string, Uint8Array> {
  if (!(typeof fraction === "number" && fraction > 0 && fraction <= 1)) {
    throw new ArgumentError("sparsity", fraction, "a fraction in (0, 1]", "fixed mask");
  }
  let total = 0;
  for (const v of values.values()) total += v.length;
  const k = Math.round(fraction * total);
  const masks = new Map<string, Uint8Array>();
  for (const [n, v] of values) masks.set(n, new Uint8Array(v.length));
  if (k === 0) return masks;
  const all = new Float32Array(total);
  let o = 0;
  for (const v of values.values()) {
    for (let i = 0; i < v.length; i++) all[o + i] = Math.abs(v[i]);
    o += v.length;
  }
  const cutoff = all.slice().sort()[total - k]; // the k-th largest |value|
  let above = 0;
  for (let i = 0; i < total; i++) if (all[i] > cutoff) above++;
  let ties = k - above; // how many entries equal to the cutoff still go in
  for (const [n, v] of values) {
    const m = masks.get(n)!;
    for (let i = 0; i < v.length; i++) {
      const a = Math.abs(v[i]);
      if (a > cutoff) m[i] = 1;
      else if (a === cutoff && ties > 0) {
        m[i] = 1;
        ties--;
      }
    }
  }
  return masks;
}
