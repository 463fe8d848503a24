"""PyTorch reference for bench/teacher.ts: the teacher recipe's Llama (tools/reference/families.py,
the same forward the golden fixtures come from) trained on the very batches Stillroom trains on,
with the same optimizer: AdamW (betas 0.9/0.999, eps 1e-8, decay on matrices only), linear warmup
then cosine (or linear) decay to 0.1 x lr, a fresh AdamW and schedule for each later phase of the
recipe, gradient clipping to global norm 1, mean cross-entropy over answer
tokens. Scores teacher-forced exact match on the same eval rows every --every steps and prints JSON
lines like the TypeScript side (scoring time left out of train_s).

    /usr/bin/python3 bench/teacher_reference.py DATA_DIR --every 500 --threads 1

DATA_DIR holds what bench/teacher.ts writes: plan.json; train.i8, batch after batch [2, B, T_i]
(ids, labels) with the widths T_i in widths.i32; eval.i8 [2, sets * n, T] (the default suite's tasks,
then recall at each length of the sweep, n rows each).
"""
import argparse
import json
import math
import os
import sys
import time

import numpy
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tools", "reference"))
import families  # noqa: E402


def lr_at(step, r):
    """sdk/train/schedule.ts lrAt, minLr = 0.1 lr; r: a phase's {lr, warmup, steps, schedule}."""
    lr, warm, steps = r["lr"], min(r["warmup"], r["steps"]), r["steps"]
    if warm > 0 and step < warm:
        return lr * (step + 1) / warm
    if r["schedule"] == "constant":
        return lr
    p = min(1.0, (step - warm) / max(1, steps - warm))
    k = 0.5 * (1 + math.cos(math.pi * p)) if r["schedule"] == "cosine" else 1 - p
    return 0.1 * lr + 0.9 * lr * k


def exact_match(W, cfg, ids, labels):
    """Rows whose every labelled token is the argmax after its prefix: [N] bool."""
    T = int((labels != -100).nonzero()[:, 1].max()) + 1       # trailing padding changes nothing before it
    ids, labels = ids[:, :T], labels[:, :T]
    pred = families.forward(W, cfg, ids)[:, :-1].argmax(-1)   # [N, T-1]
    target = labels[:, 1:]                                     # [N, T-1]
    return ((pred == target) | (target == -100)).all(-1)


def read_i8(path):
    return torch.from_numpy(numpy.fromfile(path, dtype=numpy.int8).astype(numpy.int64))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--every", type=int, default=500)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    r = json.load(open(os.path.join(a.dir, "plan.json")))
    torch.manual_seed(r["seed"])
    cfg, B, T, n, names = r["hf"], r["B"], r["T"], r["n"], r["names"]
    widths = numpy.fromfile(os.path.join(a.dir, "widths.i32"), dtype=numpy.int32).tolist()
    offsets = numpy.concatenate([[0], numpy.cumsum([2 * B * w for w in widths])]).tolist()
    train = read_i8(os.path.join(a.dir, "train.i8"))
    ev = read_i8(os.path.join(a.dir, "eval.i8")).view(2, len(names) * n, T)

    std = cfg.get("initializer_range", 0.02)
    W = {k: (torch.ones(s) if len(s) == 1 else torch.randn(s) * std).requires_grad_() for k, s in families.weight_shapes(cfg).items()}
    decay = [w for w in W.values() if w.dim() >= 2]
    plain = [w for w in W.values() if w.dim() < 2]
    phases = [{k: r[k] for k in ("lr", "warmup", "steps", "schedule")}] + r.get("phases", [])
    t0, scoring, step = time.perf_counter(), 0.0, 0
    total = sum(ph["steps"] for ph in phases)
    for ph in phases:  # a fresh AdamW for each phase, as sdk/teacher/train.ts
        opt = torch.optim.AdamW([{"params": decay, "weight_decay": r["weightDecay"]}, {"params": plain, "weight_decay": 0.0}],
                                lr=ph["lr"], betas=(0.9, 0.999), eps=1e-8)
        for local in range(ph["steps"]):
            for g in opt.param_groups:
                g["lr"] = lr_at(local, ph)
            ids, labels = train[offsets[step]:offsets[step + 1]].view(2, B, widths[step])  # [B, T_i] each
            logits = families.forward(W, cfg, ids)                     # [B, T, V]
            loss = F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), labels[:, 1:].reshape(-1), ignore_index=-100)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(W.values(), 1.0)
            opt.step()
            step += 1
            if step % a.every == 0 or local + 1 == ph["steps"] or step == total:
                s0 = time.perf_counter()
                with torch.no_grad():
                    hits = [exact_match(W, cfg, ev[0, k * n:(k + 1) * n], ev[1, k * n:(k + 1) * n]).float().mean().item() for k in range(len(names))]
                acc = dict(zip(names, hits))
                print(json.dumps({"impl": "pytorch", "step": step, "train_s": round(s0 - t0 - scoring, 2), "loss": round(loss.item(), 4),
                                  "acc": acc, "mean": sum(hits) / len(hits), "min": min(hits), "load": round(os.getloadavg()[0], 2)}), flush=True)
                scoring += time.perf_counter() - s0

if __name__ == "__main__":
    main()
