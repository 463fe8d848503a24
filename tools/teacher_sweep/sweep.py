"""One variant of the teacher sweep (run.sh): bench/teacher_reference.py's model, optimizer and
schedule, on cuda when there is one, from scratch or from a checkpoint, optionally grown to more
layers (new layers start as the identity: o_proj and down_proj zero, on top or between the trained
ones). Scores exact match every --every steps; JSON lines appended to --out. Stops after
--max-seconds."""
import argparse, json, math, os, sys, time
import numpy, torch
import torch.nn.functional as F
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "reference"))
import families

def lr_at(step, r):
    lr, warm, steps = r["lr"], min(r["warmup"], r["steps"]), r["steps"]
    if warm > 0 and step < warm:
        return lr * (step + 1) / warm
    p = min(1.0, (step - warm) / max(1, steps - warm))
    k = 0.5 * (1 + math.cos(math.pi * p))
    return 0.1 * lr + 0.9 * lr * k

def exact_match(W, cfg, ids, labels):
    T = int((labels != -100).nonzero()[:, 1].max()) + 1
    ids, labels = ids[:, :T], labels[:, :T]
    pred = families.forward(W, cfg, ids)[:, :-1].argmax(-1)
    target = labels[:, 1:]
    return ((pred == target) | (target == -100)).all(-1)

def read_safetensors(path):
    raw = open(path, "rb").read(); n = int.from_bytes(raw[:8], "little"); head = json.loads(raw[8:8 + n]); base = 8 + n
    return {k: torch.from_numpy(numpy.frombuffer(raw[base + v["data_offsets"][0]:base + v["data_offsets"][1]], dtype=numpy.float32).reshape(v["shape"]).copy())
            for k, v in head.items() if k != "__metadata__"}

def grow(W, cfg, spec, dev):
    how, n = spec.split(":"); n = int(n); old = cfg["num_hidden_layers"]
    order = list(range(old)) + [None] * (n - old) if how == "top" else [x for i in range(old) for x in (i, None)][:n]
    cfg = dict(cfg, num_hidden_layers=n)
    shapes = families.weight_shapes(cfg)
    G = {k: v for k, v in W.items() if not k.startswith("model.layers.")}
    for j, src in enumerate(order):
        for k, s in shapes.items():
            if not k.startswith(f"model.layers.{j}."): continue
            tail = k[len(f"model.layers.{j}."):]
            if src is not None: G[k] = W[f"model.layers.{src}.{tail}"]
            elif len(s) == 1: G[k] = torch.ones(s, device=dev)
            elif tail.endswith(("o_proj.weight", "down_proj.weight")): G[k] = torch.zeros(s, device=dev)
            else: G[k] = torch.randn(s, device=dev) * cfg.get("initializer_range", 0.02)
    return G, cfg

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir"); ap.add_argument("evaldir"); ap.add_argument("--out"); ap.add_argument("--every", type=int, default=500)
    ap.add_argument("--max-seconds", type=float, default=400); ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    a = ap.parse_args()
    dev = torch.device(a.device)
    torch.set_num_threads(1)
    if dev.type != "cpu":
        torch.set_default_device(dev)  # families.py makes its rotary tables where tensors are made by default
    r = json.load(open(os.path.join(a.dir, "plan.json")))
    e = json.load(open(os.path.join(a.evaldir, "eval.json")))
    torch.manual_seed(r["seed"])
    cfg, B, n, names = r["hf"], r["B"], e["n"], e["names"]
    widths = numpy.fromfile(os.path.join(a.dir, "widths.i32"), dtype=numpy.int32).tolist()
    offsets = numpy.concatenate([[0], numpy.cumsum([2 * B * w for w in widths])]).tolist()
    train = torch.from_numpy(numpy.fromfile(os.path.join(a.dir, "train.i8"), dtype=numpy.int8).astype(numpy.int64)).to(dev)
    ev = torch.from_numpy(numpy.fromfile(os.path.join(a.evaldir, "eval.i8"), dtype=numpy.int8).astype(numpy.int64)).to(dev).view(2, len(names) * n, e["T"])
    std = cfg.get("initializer_range", 0.02)
    if r["init"]:
        W = {k: v.to(dev) for k, v in read_safetensors(os.path.join(os.path.dirname(__file__), "..", "..", r["init"], "model.safetensors")).items()}
    else:
        W = {k: (torch.ones(s) if len(s) == 1 else torch.randn(s) * std).to(dev) for k, s in families.weight_shapes(cfg).items()}
    if r["grow"]:
        W, cfg = grow(W, cfg, r["grow"], dev)
    for w in W.values(): w.requires_grad_()
    decay = [w for w in W.values() if w.dim() >= 2]; plain = [w for w in W.values() if w.dim() < 2]
    out = open(a.out, "a")
    def score(step, loss, t):
        with torch.no_grad():
            hits = [exact_match(W, cfg, ev[0, k*n:(k+1)*n], ev[1, k*n:(k+1)*n]).float().mean().item() for k in range(len(names))]
        rec = {"name": r["name"], "step": step, "t": round(t, 1), "loss": round(loss, 4), "acc": dict(zip(names, hits)), "min": min(hits)}
        out.write(json.dumps(rec) + "\n"); out.flush()
    t0 = time.perf_counter(); step = 0; first = r["phases"][0]["firstStep"]
    score(first, float("nan"), 0.0)
    for ph in r["phases"]:
        opt = torch.optim.AdamW([{"params": decay, "weight_decay": r["weightDecay"]}, {"params": plain, "weight_decay": 0.0}], lr=ph["lr"], betas=(0.9, 0.999), eps=1e-8)
        for local in range(ph["steps"]):
            for g in opt.param_groups: g["lr"] = lr_at(local, ph)
            ids, labels = train[offsets[step]:offsets[step + 1]].view(2, B, widths[step])
            logits = families.forward(W, cfg, ids)
            loss = F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), labels[:, 1:].reshape(-1), ignore_index=-100)
            opt.zero_grad(); loss.backward(); torch.nn.utils.clip_grad_norm_(W.values(), 1.0); opt.step()
            step += 1
            done = time.perf_counter() - t0 > a.max_seconds
            if step % a.every == 0 or local + 1 == ph["steps"] or done:
                score(first + step, loss.item(), time.perf_counter() - t0)
            if done: return

if __name__ == "__main__":
    main()
