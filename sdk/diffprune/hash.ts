// A fingerprint of a set of weights: SHA-256 over each tensor's name, shape and float32 bytes, in
// name order. A subnetwork is a diff against particular weights; its file carries this hash so
// that it loads only onto the weights it was trained for.

import { createHash } from "node:crypto";
import type * as tf from "@tensorflow/tfjs-core";

export function weightsHash(weights: ReadonlyMap<string, tf.Tensor>): string {
  const h = createHash("sha256");
  for (const name of [...weights.keys()].sort()) {
    const t = weights.get(name)!;
    h.update(`${name}\0${t.dtype}\0${t.shape.join(",")}\0`);
    const data = t.dataSync() as Float32Array;
    h.update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }
  return h.digest("hex");
}
