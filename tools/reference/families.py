"""Independent PyTorch reference for the Llama, Qwen2 and OLMo2 decoder families, following the
Hugging Face `transformers` modeling code (modeling_llama.py, modeling_qwen2.py, modeling_olmo2.py)
line by line, without importing transformers.

Weights are a flat dict keyed by Hugging Face names ([out, in] linears); the config is the
Hugging Face config.json dict. Everything runs in float32.

    llama : pre-norm blocks, SwiGLU, GQA, RoPE (rotate_half), optional Llama 3 rope scaling
    qwen2 : llama + biases on q/k/v (not o)
    olmo2 : RMSNorm on the full q and k projections (before the head split and RoPE),
            post-norm blocks: h = x + norm(attn(x)); out = h + norm(mlp(h))
"""
import math

import torch
import torch.nn.functional as F


def head_dim(cfg: dict) -> int:
    return cfg.get("head_dim") or cfg["hidden_size"] // cfg["num_attention_heads"]


def rms_norm(x: torch.Tensor, w: torch.Tensor, eps: float) -> torch.Tensor:
    # LlamaRMSNorm / Qwen2RMSNorm / Olmo2RMSNorm (identical in float32)
    variance = x.pow(2).mean(-1, keepdim=True)
    return w * (x * torch.rsqrt(variance + eps))


def rope_inv_freq(cfg: dict) -> torch.Tensor:
    """_compute_default_rope_parameters, then _compute_llama3_parameters when rope_type is llama3."""
    dim = head_dim(cfg)
    base = cfg.get("rope_theta", 10000.0)
    inv_freq = 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim))  # [dim/2]
    rs = cfg.get("rope_scaling")
    if not rs or rs.get("rope_type", rs.get("type")) == "default":
        return inv_freq
    assert rs.get("rope_type", rs.get("type")) == "llama3", rs
    factor = rs["factor"]
    low_freq_factor = rs["low_freq_factor"]
    high_freq_factor = rs["high_freq_factor"]
    old_context_len = rs["original_max_position_embeddings"]
    low_freq_wavelen = old_context_len / low_freq_factor
    high_freq_wavelen = old_context_len / high_freq_factor
    wavelen = 2 * math.pi / inv_freq
    inv_freq_llama = torch.where(wavelen > low_freq_wavelen, inv_freq / factor, inv_freq)
    smooth_factor = (old_context_len / wavelen - low_freq_factor) / (high_freq_factor - low_freq_factor)
    smoothed_inv_freq = (1 - smooth_factor) * inv_freq_llama / factor + smooth_factor * inv_freq_llama
    is_medium_freq = ~(wavelen < high_freq_wavelen) * ~(wavelen > low_freq_wavelen)
    return torch.where(is_medium_freq, smoothed_inv_freq, inv_freq_llama)


def rope_cos_sin(inv_freq: torch.Tensor, position_ids: torch.Tensor):
    # LlamaRotaryEmbedding.forward (attention_scaling = 1 for default and llama3)
    inv_freq_expanded = inv_freq[None, :, None].float().expand(position_ids.shape[0], -1, 1)  # [B, D/2, 1]
    position_ids_expanded = position_ids[:, None, :].float()                                 # [B, 1, T]
    freqs = (inv_freq_expanded @ position_ids_expanded).transpose(1, 2)                      # [B, T, D/2]
    emb = torch.cat((freqs, freqs), dim=-1)                                                  # [B, T, D]
    return emb.cos(), emb.sin()


def rotate_half(x: torch.Tensor) -> torch.Tensor:
    x1 = x[..., : x.shape[-1] // 2]
    x2 = x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def apply_rotary_pos_emb(q, k, cos, sin):
    cos = cos.unsqueeze(1)  # [B, 1, T, D]
    sin = sin.unsqueeze(1)
    return q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin


def repeat_kv(x: torch.Tensor, n_rep: int) -> torch.Tensor:
    B, Hkv, T, D = x.shape
    if n_rep == 1:
        return x
    return x[:, :, None, :, :].expand(B, Hkv, n_rep, T, D).reshape(B, Hkv * n_rep, T, D)


def _lin(W: dict, name: str, x: torch.Tensor) -> torch.Tensor:
    return F.linear(x, W[name + ".weight"], W.get(name + ".bias"))


def attention(W, p, cfg, x, cos, sin, mask):
    family = cfg["model_type"]
    B, T, _ = x.shape
    H, Hkv, D = cfg["num_attention_heads"], cfg["num_key_value_heads"], head_dim(cfg)
    q = _lin(W, p + "q_proj", x)  # [B, T, H*D]
    k = _lin(W, p + "k_proj", x)  # [B, T, Hkv*D]
    v = _lin(W, p + "v_proj", x)  # [B, T, Hkv*D]
    if family == "olmo2":
        q = rms_norm(q, W[p + "q_norm.weight"], cfg["rms_norm_eps"])
        k = rms_norm(k, W[p + "k_norm.weight"], cfg["rms_norm_eps"])
    q = q.view(B, T, H, D).transpose(1, 2)    # [B, H, T, D]
    k = k.view(B, T, Hkv, D).transpose(1, 2)  # [B, Hkv, T, D]
    v = v.view(B, T, Hkv, D).transpose(1, 2)  # [B, Hkv, T, D]
    q, k = apply_rotary_pos_emb(q, k, cos, sin)
    k = repeat_kv(k, H // Hkv)  # [B, H, T, D]
    v = repeat_kv(v, H // Hkv)  # [B, H, T, D]
    scores = torch.matmul(q, k.transpose(2, 3)) * D ** -0.5 + mask  # [B, H, T, T]
    probs = torch.softmax(scores.float(), dim=-1)                   # [B, H, T, T]
    y = torch.matmul(probs, v).transpose(1, 2).reshape(B, T, H * D)  # [B, T, H*D]
    return _lin(W, p + "o_proj", y)                                 # [B, T, C]


def mlp(W, p, x):
    return _lin(W, p + "down_proj", F.silu(_lin(W, p + "gate_proj", x)) * _lin(W, p + "up_proj", x))


def causal_mask(attention_mask: torch.Tensor, T: int) -> torch.Tensor:
    """Additive [B, 1, T, T] mask: 0 where key j <= query i and key j is a real token, else min float."""
    B = attention_mask.shape[0]
    allowed = torch.tril(torch.ones(T, T, dtype=torch.bool))[None, None] & attention_mask[:, None, None, :].bool()
    return torch.where(allowed, 0.0, torch.finfo(torch.float32).min).expand(B, 1, T, T)


def forward(W: dict, cfg: dict, input_ids: torch.Tensor, attention_mask=None, position_ids=None):
    """Returns logits [B, T, V]. With an attention mask and no position ids, positions follow the
    mask the way `generate` prepares them: cumsum(mask) - 1, padded slots set to 1."""
    B, T = input_ids.shape
    eps = cfg["rms_norm_eps"]
    if attention_mask is None:
        attention_mask = torch.ones(B, T, dtype=torch.int64)
    if position_ids is None:
        position_ids = attention_mask.long().cumsum(-1) - 1
        position_ids.masked_fill_(attention_mask == 0, 1)
    mask = causal_mask(attention_mask, T)
    cos, sin = rope_cos_sin(rope_inv_freq(cfg), position_ids)
    x = W["model.embed_tokens.weight"][input_ids]  # [B, T, C]
    post_norm = cfg["model_type"] == "olmo2"
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        if post_norm:
            h = x + rms_norm(attention(W, p + "self_attn.", cfg, x, cos, sin, mask), W[p + "post_attention_layernorm.weight"], eps)
            x = h + rms_norm(mlp(W, p + "mlp.", h), W[p + "post_feedforward_layernorm.weight"], eps)
        else:
            h = x + attention(W, p + "self_attn.", cfg, rms_norm(x, W[p + "input_layernorm.weight"], eps), cos, sin, mask)
            x = h + mlp(W, p + "mlp.", rms_norm(h, W[p + "post_attention_layernorm.weight"], eps))
    x = rms_norm(x, W["model.norm.weight"], eps)
    lm_head = W["model.embed_tokens.weight"] if cfg.get("tie_word_embeddings") else W["lm_head.weight"]
    return F.linear(x, lm_head)  # [B, T, V]


def weight_shapes(cfg: dict) -> dict:
    C, V, Fd = cfg["hidden_size"], cfg["vocab_size"], cfg["intermediate_size"]
    H, Hkv, D = cfg["num_attention_heads"], cfg["num_key_value_heads"], head_dim(cfg)
    family = cfg["model_type"]
    s = {"model.embed_tokens.weight": (V, C), "model.norm.weight": (C,)}
    if not cfg.get("tie_word_embeddings"):
        s["lm_head.weight"] = (V, C)
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        s[p + "self_attn.q_proj.weight"] = (H * D, C)
        s[p + "self_attn.k_proj.weight"] = (Hkv * D, C)
        s[p + "self_attn.v_proj.weight"] = (Hkv * D, C)
        s[p + "self_attn.o_proj.weight"] = (C, H * D)
        if family == "qwen2":
            s[p + "self_attn.q_proj.bias"] = (H * D,)
            s[p + "self_attn.k_proj.bias"] = (Hkv * D,)
            s[p + "self_attn.v_proj.bias"] = (Hkv * D,)
        if family == "olmo2":
            s[p + "self_attn.q_norm.weight"] = (H * D,)
            s[p + "self_attn.k_norm.weight"] = (Hkv * D,)
            s[p + "post_feedforward_layernorm.weight"] = (C,)
        else:
            s[p + "input_layernorm.weight"] = (C,)
        s[p + "post_attention_layernorm.weight"] = (C,)
        s[p + "mlp.gate_proj.weight"] = (Fd, C)
        s[p + "mlp.up_proj.weight"] = (Fd, C)
        s[p + "mlp.down_proj.weight"] = (C, Fd)
    return s
