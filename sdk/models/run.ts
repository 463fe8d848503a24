// Running one decoder layer, or its mixer, alone on given hidden states, as the full forward would
// run it (rotary tables, causal and padding bias, the model's hooks and mode); and the pieces the
// full forward shares with it.

import * as tf from "@tensorflow/tfjs-core";
import { ArgumentError } from "../errors.js";
import { attentionContext, type DecoderStack } from "../nn/decoder-stack.js";
import { callModule, type HookBatch } from "../nn/module.js";
import { withTraining } from "../nn/mode.js";
import type { ModelConfig } from "./config.js";
import { arangeRows, hasPadding, maskRows, positionRows, positionsFromMask, type IntRows } from "./inputs.js";

/** Options of runAttention / runLayer: the token layout of x [B, T, C], as in logits(). */
export interface RunLayerOptions {
  /** [B, T] 1 = real token, 0 = padding; positions then skip padding */
  attentionMask?: IntRows;
  /** [B, T] explicit positions */
  positionIds?: IntRows;
  /** default: the model's mode */
  training?: boolean;
}

/** What runLayerAlone needs of a model. */
interface LayeredModel {
  readonly config: ModelConfig;
  readonly model: DecoderStack;
  readonly training: boolean;
  withHooks<T>(fn: () => T, batch?: () => HookBatch | null): T;
}

/** Checked attention mask and positions for B rows of T tokens. */
export function tokenLayout(B: number, T: number, opts: Pick<RunLayerOptions, "attentionMask" | "positionIds">) {
  const mask = opts.attentionMask === undefined ? null : maskRows(opts.attentionMask, B, T);
  const pos = opts.positionIds !== undefined ? positionRows(opts.positionIds, B, T) : mask ? positionsFromMask(mask) : arangeRows(B, T);
  return { mask, pos };
}

/** What hooks see of the batch: the mask over this forward's T tokens (the last T key positions), and labels. */
export function hookBatch(B: number, T: number, run: { keyMask?: tf.Tensor2D | null; labels?: tf.Tensor2D | null }): HookBatch {
  const km = run.keyMask ?? null;
  const attentionMask = km ? (tf.slice(km, [0, km.shape[1] - T], [B, T]) as tf.Tensor2D) : (tf.ones([B, T]) as tf.Tensor2D); // [B, T]
  return { attentionMask, labels: run.labels ?? null };
}

/** Layer `layer`'s mixer ("attention") or whole block ("layer") on x [B, T, C] -> [B, T, C]. */
export function runLayerAlone(
  m: LayeredModel,
  layer: number,
  part: "attention" | "layer",
  x: tf.Tensor3D,
  opts: RunLayerOptions,
): tf.Tensor3D {
  const where = part === "attention" ? "runAttention" : "runLayer";
  const n = m.model.layers.length;
  if (!Number.isInteger(layer) || layer < 0 || layer >= n) throw new ArgumentError("layer", layer, `an integer in [0, ${n - 1}]`, where);
  const C = m.config.dModel;
  if (!(x instanceof tf.Tensor) || x.rank !== 3 || x.shape[2] !== C) {
    throw new ArgumentError("x.shape", x?.shape, `[B, T, ${C}] hidden states`, where);
  }
  const [B, T] = x.shape;
  const { mask, pos } = tokenLayout(B, T, opts);
  const block = m.model.layers.items[layer];
  return tf.tidy(() => {
    const positions = tf.tensor2d(pos, [B, T], "int32"); // [B, T]
    const keyMask = hasPadding(mask) ? tf.tensor2d(mask!, [B, T], "float32") : null; // [B, T]
    const ctx = attentionContext(m.model.invFreq, positions, keyMask);
    const run = () => (part === "attention" ? callModule(block.self_attn, x, ctx) : callModule(block, x, ctx)); // [B, T, C]
    return withTraining(opts.training ?? m.training, () => m.withHooks(run, () => hookBatch(B, T, { keyMask })));
  });
}
