#!/usr/bin/python3
"""Regenerate test/fixtures/xlstm/mlstm.safetensors: golden mLSTM and hybrid-attention numbers from
the PyTorch reference (tools/reference/mlstm.py) for test/sdk/xlstm/golden.test.ts.

    /usr/bin/python3 tools/reference/make_mlstm_fixtures.py [--out test/fixtures/xlstm]

Inputs are drawn in float32 with a fixed seed and stored; every reference number is computed in
float64 from exactly those float32 values, then stored as F32. For each mLSTM case <c>:

    <c>.q [B,H,S,K]  <c>.k  <c>.v [B,H,S,V]  <c>.i  <c>.f [B,H,S]  <c>.r [B,H,S,V] (loss weights)
    <c>.<init>.h        h with the stabiliser starting at m_0 = 0 ("zero") or -inf ("neginf")
    <c>.<init>.C / .n / .m   the state after the last token
    <c>.<init>.grad.<x>  d sum(h * r) / d x for x in q, k, v, i, f

Metadata "cases" lists each case's name, sizes and gate soft-cap. The hybrid case stores q, k, v
(grouped kv heads), gates, feature-map weights and, per feature-map kind, phi(q), the sliding-window
attention and the mixed output. Before writing, the reference's three mLSTM forms are checked
against each other in float64. Deterministic: rerunning gives identical bytes. Needs torch and numpy
only; the fixture is committed and tests never run this.
"""
import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mlstm  # noqa: E402
import safetensors_io  # noqa: E402

CASES = [
    # name, B, H, S, K, V, gate draw, soft cap
    ("normal", 2, 1, 40, 8, 12, "normal", None),
    ("extreme", 1, 2, 36, 6, 8, "uniform30", None),
    ("capped", 1, 1, 40, 8, 12, "normal20", 15.0),
]


def draw_gates(gen, shape, how):
    if how == "normal":
        return torch.randn(shape, generator=gen), torch.randn(shape, generator=gen) + 1.0
    if how == "uniform30":
        return (torch.rand(shape, generator=gen) * 60 - 30), (torch.rand(shape, generator=gen) * 60 - 30)
    if how == "normal20":
        return torch.randn(shape, generator=gen) * 20, torch.randn(shape, generator=gen) * 20
    raise ValueError(how)


def mlstm_case(gen, name, B, H, S, K, V, how, cap, out):
    x = {
        "q": torch.randn(B, H, S, K, generator=gen),
        "k": torch.randn(B, H, S, K, generator=gen),
        "v": torch.randn(B, H, S, V, generator=gen),
    }
    x["i"], x["f"] = draw_gates(gen, (B, H, S), how)
    x["r"] = torch.randn(B, H, S, V, generator=gen)
    for n, t in x.items():
        out[f"{name}.{n}"] = t
    for init, label in (("zero", "zero"), ("-inf", "neginf")):
        leaves = {n: x[n].double().requires_grad_(n != "r") for n in x}
        args = [leaves[n] for n in ("q", "k", "v", "i", "f")]
        h, (C, n_state, m) = mlstm.mlstm_recurrent(*args, m_init=init, soft_cap=cap)
        # the reference's forms agree in float64 before anything is written
        h_par = mlstm.mlstm_parallel(*args, m_init=init, soft_cap=cap)
        h_chunk, state_chunk = mlstm.mlstm_chunkwise(*args, chunk_size=4, m_init=init, soft_cap=cap)
        scale = h.abs().max().item()
        assert (h - h_par).abs().max().item() <= 1e-9 * scale, f"{name}/{init}: parallel vs recurrent"
        assert (h - h_chunk).abs().max().item() <= 1e-9 * scale, f"{name}/{init}: chunkwise vs recurrent"
        assert (C - state_chunk[0]).abs().max().item() <= 1e-9 * C.abs().max().item(), f"{name}/{init}: chunkwise state"
        (h * leaves["r"]).sum().backward()
        out[f"{name}.{label}.h"] = h.detach()
        out[f"{name}.{label}.C"] = C.detach()
        out[f"{name}.{label}.n"] = n_state.detach()
        out[f"{name}.{label}.m"] = m.detach()
        for n in ("q", "k", "v", "i", "f"):
            out[f"{name}.{label}.grad.{n}"] = leaves[n].grad
    return {"name": name, "B": B, "H": H, "S": S, "K": K, "V": V, "gateSoftCap": cap}


def hybrid_case(gen, out):
    B, H, Hkv, S, D, Fdim, window, sinks = 1, 4, 2, 24, 8, 6, 5, 2
    x = {
        "q": torch.randn(B, H, S, D, generator=gen),
        "k": torch.randn(B, Hkv, S, D, generator=gen),
        "v": torch.randn(B, Hkv, S, D, generator=gen),
        "i": torch.randn(B, H, S, generator=gen),
        "f": torch.randn(B, H, S, generator=gen) + 3.0,
        "o": torch.randn(B, H, S, generator=gen),
        "wq": torch.randn(H, D, Fdim, generator=gen) * 0.5,
        "wk": torch.randn(H, D, Fdim, generator=gen) * 0.5,
    }
    for n, t in x.items():
        out[f"hybrid.{n}"] = t
    d = {n: t.double() for n, t in x.items()}
    out["hybrid.swa"] = mlstm.sliding_window_attention(d["q"], d["k"], d["v"], window, sinks)
    for kind in ("hedgehog", "lolcats"):
        out[f"hybrid.{kind}.phi_q"] = mlstm.feature_map(d["q"], d["wq"], kind)
        out[f"hybrid.{kind}.h"] = mlstm.hybrid_attention(
            d["q"], d["k"], d["v"], d["i"], d["f"], d["o"], d["wq"], d["wk"], window, sinks, kind)
    return {"B": B, "H": H, "Hkv": Hkv, "S": S, "D": D, "F": Fdim, "window": window, "sinks": sinks}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "..", "test", "fixtures", "xlstm"))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    gen = torch.Generator().manual_seed(20260312)
    out = {}
    cases = [mlstm_case(gen, *c, out) for c in CASES]
    hybrid = hybrid_case(gen, out)
    path = os.path.join(args.out, "mlstm.safetensors")
    safetensors_io.write(path, {n: t.detach().float() for n, t in out.items()}, dtypes={n: "F32" for n in out},
                         metadata={"cases": json.dumps(cases), "hybrid": json.dumps(hybrid), "torch": torch.__version__})
    print(f"wrote {path} ({os.path.getsize(path)} bytes, {len(out)} tensors)")


if __name__ == "__main__":
    main()
