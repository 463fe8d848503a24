// Transformer blocks. Pre-norm (Llama, Qwen2): x + attn(norm(x)), then h + mlp(norm(h)).
// Post-norm (OLMo2): x + norm(attn(x)), then h + norm(mlp(h)). The norm names follow each
// family's checkpoints: both have post_attention_layernorm, at different places.

import * as tf from "@tensorflow/tfjs-core";
import { fieldChildren, setFieldChild } from "./children.js";
import { callModule, type Module } from "./module.js";
import type { AttentionContext, AttentionModule } from "./self-attention.js";

export interface DecoderLayer extends Module {
  self_attn: AttentionModule;
  mlp: Module;
  forward(x: tf.Tensor3D, ctx: AttentionContext): tf.Tensor3D;
}

const PRE = ["self_attn", "mlp", "input_layernorm", "post_attention_layernorm"] as const;

export class PreNormLayer implements DecoderLayer {
  constructor(
    public self_attn: AttentionModule,
    public mlp: Module,
    public input_layernorm: Module,
    public post_attention_layernorm: Module,
  ) {}

  forward(x: tf.Tensor3D, ctx: AttentionContext): tf.Tensor3D {
    return tf.tidy(() => {
      const a = callModule(this.self_attn, callModule(this.input_layernorm, x) as tf.Tensor3D, ctx); // [B, T, C]
      const h = tf.add(x, a) as tf.Tensor3D; // [B, T, C]
      const m = callModule(this.mlp, callModule(this.post_attention_layernorm, h)); // [B, T, C]
      return tf.add(h, m) as tf.Tensor3D; // [B, T, C]
    });
  }

  namedChildren(): Iterable<[string, Module]> {
    return fieldChildren(this, PRE);
  }

  setChild(name: string, module: Module): void {
    setFieldChild(this, "PreNormLayer", PRE, name, module);
  }
}

const POST = ["self_attn", "mlp", "post_attention_layernorm", "post_feedforward_layernorm"] as const;

export class PostNormLayer implements DecoderLayer {
  constructor(
    public self_attn: AttentionModule,
    public mlp: Module,
    public post_attention_layernorm: Module,
    public post_feedforward_layernorm: Module,
  ) {}

  forward(x: tf.Tensor3D, ctx: AttentionContext): tf.Tensor3D {
    return tf.tidy(() => {
      const a = callModule(this.post_attention_layernorm, callModule(this.self_attn, x, ctx)); // [B, T, C]
      const h = tf.add(x, a) as tf.Tensor3D; // [B, T, C]
      const m = callModule(this.post_feedforward_layernorm, callModule(this.mlp, h)); // [B, T, C]
      return tf.add(h, m) as tf.Tensor3D; // [B, T, C]
    });
  }

  namedChildren(): Iterable<[string, Module]> {
    return fieldChildren(this, POST);
  }

  setChild(name: string, module: Module): void {
    setFieldChild(this, "PostNormLayer", POST, name, module);
  }
}
