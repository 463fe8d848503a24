"""PyTorch CPU reference for bench/train.ts: the same Llama (4 layers, d=256, 4 heads, SwiGLU
dFf=1024, vocab 512, untied lm_head, RMSNorm, RoPE), batch 8 x 128, cross-entropy, forward +
backward + Adam (lr 1e-3), float32, a fixed number of torch threads (bench:train runs 1 and 2:
torch's own threads and OpenBLAS's share the cores, so more is not always faster). nanoGPT-style:
the whole model in one screen. Prints JSON lines like the TypeScript side: matmul GFLOP/s at 1024,
the batched matmul [8,256,64]x[8,64,256] in ms, training tokens/s (median step) and inference
tokens/s (a forward pass under no_grad, median).

    /usr/bin/python3 bench/train_reference.py --steps 8 --warmup 3 --threads 1
"""
import argparse
import json
import math
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

V, C, L, H, FF, B, T, LR = 512, 256, 4, 4, 1024, 8, 128, 1e-3


class RMSNorm(nn.Module):
    def __init__(self, n, eps=1e-6):
        super().__init__()
        self.weight, self.eps = nn.Parameter(torch.ones(n)), eps

    def forward(self, x):
        return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps))


def rope(T, D, theta=10000.0):
    inv = 1.0 / (theta ** (torch.arange(0, D, 2).float() / D))          # [D/2]
    f = torch.outer(torch.arange(T).float(), inv)                        # [T, D/2]
    e = torch.cat((f, f), -1)                                            # [T, D]
    return e.cos(), e.sin()


def rotate_half(x):
    x1, x2 = x.chunk(2, -1)
    return torch.cat((-x2, x1), -1)


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.n1, self.n2 = RMSNorm(C), RMSNorm(C)
        self.q, self.k, self.v, self.o = (nn.Linear(C, C, bias=False) for _ in range(4))
        self.gate, self.up, self.down = nn.Linear(C, FF, bias=False), nn.Linear(C, FF, bias=False), nn.Linear(FF, C, bias=False)

    def forward(self, x, cos, sin, mask):
        Bx, Tx, _ = x.shape
        D = C // H
        h = self.n1(x)                                                   # [B, T, C]
        q, k, v = (p(h).view(Bx, Tx, H, D).transpose(1, 2) for p in (self.q, self.k, self.v))  # [B, H, T, D]
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        att = (q @ k.transpose(-2, -1)) / math.sqrt(D) + mask            # [B, H, T, T]
        y = F.softmax(att, -1) @ v                                       # [B, H, T, D]
        x = x + self.o(y.transpose(1, 2).reshape(Bx, Tx, C))             # [B, T, C]
        h = self.n2(x)
        return x + self.down(F.silu(self.gate(h)) * self.up(h))          # [B, T, C]


class Llama(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(V, C)
        self.blocks = nn.ModuleList(Block() for _ in range(L))
        self.norm, self.lm_head = RMSNorm(C), nn.Linear(C, V, bias=False)
        for p in self.parameters():
            if p.dim() > 1:
                nn.init.normal_(p, std=0.02)
        cos, sin = rope(T, C // H)
        self.register_buffer("cos", cos)
        self.register_buffer("sin", sin)
        self.register_buffer("mask", torch.full((T, T), float("-inf")).triu(1))

    def forward(self, ids):
        x = self.embed(ids)                                              # [B, T, C]
        for blk in self.blocks:
            x = blk(x, self.cos, self.sin, self.mask)
        return self.lm_head(self.norm(x))                                # [B, T, V]


def timed(f, reps):
    f(), f()
    ms = []
    for _ in range(reps):
        t0 = time.perf_counter()
        f()
        ms.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(ms)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=8)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    cfg = f"torch-{torch.__version__}:{a.threads}"

    def emit(metric, value, unit, **extra):
        print(json.dumps({"impl": "pytorch", "config": cfg, "metric": metric, "value": float(f"{value:.4g}"), "unit": unit, "threads": a.threads, **extra}), flush=True)

    x, y = torch.randn(1024, 1024), torch.randn(1024, 1024)
    emit("matmul_1024_gflops", 2 * 1024**3 / (timed(lambda: x @ y, 10) * 1e6), "GFLOP/s")
    p, q = torch.randn(8, 256, 64), torch.randn(8, 64, 256)
    emit("bmm_8x256x64x256_ms", timed(lambda: torch.bmm(p, q), 30), "ms")

    model = Llama()
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    seq = torch.randint(0, V, (B, T + 1))
    ids, tgt = seq[:, :T], seq[:, 1:]

    def step():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(ids).reshape(B * T, V), tgt.reshape(B * T))
        loss.backward()
        opt.step()
        return loss.item()

    first = step()
    for _ in range(a.warmup - 1):
        step()
    ms, cpu, last = [], [], first
    for _ in range(a.steps):
        t0, c0 = time.perf_counter(), time.process_time()
        last = step()
        ms.append((time.perf_counter() - t0) * 1e3)
        cpu.append((time.process_time() - c0) * 1e3)  # all threads of the process
    step_ms = statistics.median(ms)
    n = sum(p.numel() for p in model.parameters())
    emit("train_tokens_per_s", B * T / (step_ms / 1e3), "tokens/s", step_ms=round(step_ms, 1), step_cpu_ms=round(statistics.median(cpu), 1), steps=a.steps, params=n, loss_first=round(first, 4), loss_last=round(last, 4))
    with torch.no_grad():
        forward_ms = timed(lambda: model(ids), a.steps)
    emit("forward_tokens_per_s", B * T / (forward_ms / 1e3), "tokens/s", forward_ms=round(forward_ms, 1))


if __name__ == "__main__":
    main()
