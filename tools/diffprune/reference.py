"""Golden numbers for DiffPrune's building blocks from an independent PyTorch implementation.

Writes test/fixtures/diffprune/reference.json, which test/sdk/diffprune/reference.test.ts compares
against. Written from METHODS.md section 3 and the DiffPrune reference's conventions (hard-concrete
gate with u clamped to [1e-4, 1 - 1e-4], stretch (-1.5, 1.5); gradient reversal as a custom
autograd function; adversary heads Linear -> tanh -> Linear, the mean of the heads' losses,
BCE-with-logits for two groups and cross-entropy otherwise). Dropout is off (evaluation), so the
numbers are deterministic. Python is never needed at test time.

    /usr/bin/python3 tools/diffprune/reference.py
"""

import json
import math
import os

import torch

torch.manual_seed(0)
torch.set_default_dtype(torch.float64)
GAMMA, ZETA, EPS = -1.5, 1.5, 1e-4


def gate(log_alpha, u):
    u = u.clamp(EPS, 1 - EPS)
    s = torch.sigmoid(torch.log(u) - torch.log(1 - u) + log_alpha)
    return (s * (ZETA - GAMMA) + GAMMA).clamp(0, 1)


def gate_eval(log_alpha):
    return (torch.sigmoid(log_alpha) * (ZETA - GAMMA) + GAMMA).clamp(0, 1)


class Reverse(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, lam):
        ctx.lam = lam
        return x.view_as(x)

    @staticmethod
    def backward(ctx, g):
        return -ctx.lam * g, None


def r(*shape, scale=1.0):
    return (torch.rand(*shape) * 2 - 1) * scale


def lst(t):
    return t.detach().reshape(-1).tolist()


out = {}

# 1. the diff: L = sum K * (W + z * w)^2 + l0w * sum sigmoid(la - log(-gamma/zeta)), z sampled from given u
W, w, K = r(3, 4), r(3, 4, scale=0.5), r(3, 4, scale=2)
la = (torch.rand(3, 4) * 4 - 1.5).requires_grad_()
w.requires_grad_()
u = torch.rand(3, 4)
l0w = 0.05
z = gate(la, u)
loss = (K * (W + z * w) ** 2).sum() + l0w * torch.sigmoid(la - math.log(-GAMMA / ZETA)).sum()
loss.backward()
out["diff"] = {
    "shape": [3, 4],
    "W": lst(W), "w": lst(w), "K": lst(K), "log_alpha": lst(la), "u": lst(u), "l0_weight": l0w,
    "z": lst(z), "z_eval": lst(gate_eval(la)), "loss": loss.item(), "grad_w": lst(w.grad), "grad_log_alpha": lst(la.grad),
}

# 2. the adversary behind gradient reversal: heads Linear(C, C) -> tanh -> Linear(C, n), mean of the heads' losses
def adversary_case(classes, heads, lam):
    B, C = 5, 6
    n = 1 if classes == 2 else classes
    h = r(B, C).requires_grad_()
    y = torch.randint(0, classes, (B,))
    params = [[r(C, C, scale=0.4), r(C, scale=0.4), r(n, C, scale=0.4), r(n, scale=0.4)] for _ in range(heads)]
    for p in params:
        for t in p:
            t.requires_grad_()
    x = Reverse.apply(h, lam)
    losses = []
    logits = []
    for w1, b1, w2, b2 in params:
        o = torch.tanh(x @ w1.T + b1) @ w2.T + b2
        logits.append(o)
        if n == 1:
            losses.append(torch.nn.functional.binary_cross_entropy_with_logits(o[:, 0], y.double()))
        else:
            losses.append(torch.nn.functional.cross_entropy(o, y))
    loss = torch.stack(losses).mean()
    loss.backward()
    return {
        "classes": classes, "heads": heads, "lambda": lam, "h": lst(h), "y": y.tolist(), "shape": [B, C],
        "params": [[lst(t) for t in p] for p in params],
        "logits": [lst(o) for o in logits], "loss": loss.item(), "grad_h": lst(h.grad),
        "grad_params": [[lst(t.grad) for t in p] for p in params],
    }


out["adversary_binary"] = adversary_case(2, 3, 0.7)
out["adversary_multi"] = adversary_case(3, 2, 1.0)

path = os.path.join(os.path.dirname(__file__), "..", "..", "test", "fixtures", "diffprune", "reference.json")
with open(path, "w") as f:
    json.dump(out, f, indent=1)
    f.write("\n")
print("wrote", os.path.normpath(path))
