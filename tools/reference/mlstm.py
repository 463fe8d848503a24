"""Reference mLSTM and hybrid-attention numerics in PyTorch (METHODS.md section 1), independent of
the TypeScript code. Written from the formulas of the xLSTM paper and of NX-AI's mlstm_kernels
native torch kernels (parallel, chunkwise, recurrent step); run in float64 for golden numbers.

Shapes: q, k [B, H, S, Dqk], v [B, H, S, Dv], i_pre, f_pre [B, H, S] -> h [B, H, S, Dv];
state (C [B, H, Dqk, Dv], n [B, H, Dqk], m [B, H]).

m_init: "zero" starts the stabiliser at m_0 = 0 (mlstm_kernels' recurrent and chunkwise kernels);
"-inf" starts it at -inf (m_1 = i~_1; what the parallel kernel's row maximum amounts to).
"""
import math

import torch
import torch.nn.functional as F


def gates(i_pre, f_pre, soft_cap=None):
    """(i~, logsigmoid(f~)), after the optional soft-cap cap * tanh(x / cap)."""
    if soft_cap is not None:
        i_pre = soft_cap * torch.tanh(i_pre / soft_cap)
        f_pre = soft_cap * torch.tanh(f_pre / soft_cap)
    return i_pre, F.logsigmoid(f_pre)


def segment_sums(log_f):
    """[..., S] -> [..., S, S]: out[t, s] = sum over r in (s, t] of log_f[r] for s <= t, -inf above."""
    S = log_f.shape[-1]
    terms = log_f[..., :, None].expand(*log_f.shape, S)  # [..., S(r), S(s)] log_f[r]
    strictly_lower = torch.tril(torch.ones(S, S, dtype=torch.bool), diagonal=-1)  # r > s
    seg = torch.where(strictly_lower, terms, torch.zeros((), dtype=log_f.dtype)).cumsum(-2)  # [..., S(t), S(s)]
    causal = torch.tril(torch.ones(S, S, dtype=torch.bool))
    return torch.where(causal, seg, torch.full((), -math.inf, dtype=log_f.dtype))


def mlstm_parallel(q, k, v, i_pre, f_pre, eps=1e-6, m_init="-inf", soft_cap=None):
    """Quadratic form with the segment-sum decay matrix; m_init "zero" adds the zero state's weight to the max."""
    B, H, S, K = q.shape
    log_i, log_f = gates(i_pre, f_pre, soft_cap)
    log_d = segment_sums(log_f) + log_i[:, :, None, :]  # [B, H, S, S]
    m = log_d.max(-1, keepdim=True).values  # [B, H, S, 1]
    if m_init == "zero":
        m = torch.maximum(m, log_f.cumsum(-1)[..., None])
    c_tilde = (q @ k.transpose(-2, -1)) / math.sqrt(K) * torch.exp(log_d - m)  # [B, H, S, S]
    n = torch.maximum(c_tilde.sum(-1, keepdim=True).abs(), torch.exp(-m))  # [B, H, S, 1]
    return (c_tilde / (n + eps)) @ v


def mlstm_step(state, q, k, v, i_pre, f_pre, eps=1e-6, soft_cap=None):
    """One token: q, k [B, H, Dqk], v [B, H, Dv], i_pre, f_pre [B, H]."""
    C, n, m = state
    log_i, log_f = gates(i_pre, f_pre, soft_cap)
    m_new = torch.maximum(log_f + m, log_i)
    f_act = torch.exp(log_f + m - m_new)
    i_act = torch.exp(log_i - m_new)
    C = f_act[..., None, None] * C + i_act[..., None, None] * (k[..., :, None] * v[..., None, :])
    n = f_act[..., None] * n + i_act[..., None] * k
    qs = q / math.sqrt(q.shape[-1])
    num = (qs[..., None, :] @ C)[..., 0, :]
    qn = (qs * n).sum(-1, keepdim=True)
    h = num / (torch.maximum(qn.abs(), torch.exp(-m_new)[..., None]) + eps)
    return h, (C, n, m_new)


def zero_state(B, H, K, V, m_init, dtype):
    m0 = torch.zeros(B, H, dtype=dtype) if m_init == "zero" else torch.full((B, H), -math.inf, dtype=dtype)
    return torch.zeros(B, H, K, V, dtype=dtype), torch.zeros(B, H, K, dtype=dtype), m0


def mlstm_recurrent(q, k, v, i_pre, f_pre, eps=1e-6, m_init="zero", soft_cap=None, state=None):
    B, H, S, K = q.shape
    state = state or zero_state(B, H, K, v.shape[-1], m_init, q.dtype)
    hs = []
    for t in range(S):
        h, state = mlstm_step(state, q[:, :, t], k[:, :, t], v[:, :, t], i_pre[:, :, t], f_pre[:, :, t], eps, soft_cap)
        hs.append(h)
    return torch.stack(hs, 2), state


def mlstm_chunkwise(q, k, v, i_pre, f_pre, chunk_size=64, eps=1e-6, m_init="zero", soft_cap=None):
    """The reference's chunkwise kernel: S % chunk_size == 0, a loop over chunks for the states."""
    B, H, S, K = q.shape
    V = v.shape[-1]
    L = chunk_size
    assert S % L == 0, f"S = {S} is not a multiple of the chunk size {L}"
    NC = S // L
    log_i, log_f = gates(i_pre, f_pre, soft_cap)
    log_i = log_i.reshape(B, H, NC, L)
    b = log_f.reshape(B, H, NC, L).cumsum(-1)  # decay from the chunk's start through t
    g = b[..., -1]  # decay across the chunk
    a = g[..., None] - b + log_i  # token j's log weight at its chunk's end
    qc, kc, vc = (x.reshape(B, H, NC, L, x.shape[-1]) for x in (q, k, v))
    C, n, m = zero_state(B, H, K, V, m_init, q.dtype)
    causal = torch.tril(torch.ones(L, L, dtype=torch.bool))
    hs = []
    for c in range(NC):
        # outputs of chunk c from the entering state (C, n, m) and the chunk itself
        log_d = torch.where(causal, b[:, :, c, :, None] - b[:, :, c, None, :], torch.full((), -math.inf, dtype=q.dtype))
        log_d = log_d + log_i[:, :, c, None, :]  # [B, H, L, L]
        m_inter = b[:, :, c] + m[..., None]  # [B, H, L]
        m_t = torch.maximum(m_inter, log_d.max(-1).values)  # [B, H, L]
        qs = qc[:, :, c] / math.sqrt(K)
        s = (qs @ kc[:, :, c].transpose(-2, -1)) * torch.exp(log_d - m_t[..., None])
        q_inter = qs * torch.exp(m_inter - m_t)[..., None]
        num = q_inter @ C + s @ vc[:, :, c]
        qn = (q_inter * n[:, :, None, :]).sum(-1) + s.sum(-1)
        hs.append(num / (torch.maximum(qn.abs(), torch.exp(-m_t)) + eps)[..., None])
        # the state after chunk c
        m_next = torch.maximum(g[:, :, c] + m, a[:, :, c].max(-1).values)
        kw = kc[:, :, c] * torch.exp(a[:, :, c] - m_next[..., None])[..., None]
        decay = torch.exp(g[:, :, c] + m - m_next)
        C = decay[..., None, None] * C + kw.transpose(-2, -1) @ vc[:, :, c]
        n = decay[..., None] * n + kw.sum(-2)
        m = m_next
    return torch.cat(hs, 2), (C, n, m)


def feature_map(x, weight, kind="hedgehog", bias=None, clamp_min=1e-12):
    """Per-head softmax(x W_h) over the features; "lolcats": [softmax(x W_h), softmax(-x W_h)]."""
    z = torch.einsum("bhsd,hdf->bhsf", x, weight)
    if bias is not None:
        z = z + bias[None, :, None, :]
    phi = torch.cat([z.softmax(-1), (-z).softmax(-1)], -1) if kind == "lolcats" else z.softmax(-1)
    return phi.clamp(min=clamp_min) if clamp_min > 0 else phi


def repeat_kv(x, H):
    """[B, Hkv, S, D] -> [B, H, S, D], query head h reading kv head h // (H // Hkv)."""
    return x.repeat_interleave(H // x.shape[1], dim=1)


def sliding_window_attention(q, k, v, window, sinks):
    """Dense softmax attention under the explicit mask: s <= t and (s > t - window or s < sinks)."""
    B, H, S, D = q.shape
    t = torch.arange(S)[:, None]
    s = torch.arange(S)[None, :]
    visible = (s <= t) & ((s > t - window) | (s < sinks))
    scores = (q @ repeat_kv(k, H).transpose(-2, -1)) / math.sqrt(D)
    scores = scores.masked_fill(~visible, -math.inf)
    return scores.softmax(-1) @ repeat_kv(v, H)


def hybrid_attention(q, k, v, i_pre, f_pre, o_pre, feature_q, feature_k, window, sinks, kind="hedgehog", eps=1e-6, m_init="-inf"):
    """o * mLSTM(phi_q(q), phi_k(k), v) + (1 - o) * SWA(q, k, v), o = sigmoid(o_pre) per head and token."""
    H = q.shape[1]
    kh, vh = repeat_kv(k, H), repeat_kv(v, H)
    m = mlstm_parallel(feature_map(q, feature_q, kind), feature_map(kh, feature_k, kind), vh, i_pre, f_pre, eps, m_init)
    swa = sliding_window_attention(q, k, v, window, sinks)
    o = torch.sigmoid(o_pre)[..., None]
    return o * m + (1 - o) * swa
