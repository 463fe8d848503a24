"""Recipe research for the teacher, in PyTorch: candidate task forms (Python twins of sdk/tasks'
generators), a mixture, the Llama of tools/reference/families.py (the forward Stillroom's golden
fixtures come from) with Stillroom's init (normal, std 0.02), AdamW with decay on matrices only,
warm-up then cosine to 0.1 lr, clipping to norm 1. Scores teacher-forced exact match on held-out
examples (a separate seed stream) every --every steps, recall also per context length.

    /usr/bin/python3 tools/teacher_research.py --tasks '{"recall":{"pairs":8,"queries":4,"length":[64,256]}}' \
        --steps 3000 --every 500 --d 128 --layers 2 --heads 4 --lr 3e-3

Prints one JSON line per evaluation: {step, s, loss, acc: {task: exact}, recall_by_len: {L: exact}}.
"""
import argparse
import json
import math
import os
import random
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "reference"))
import families  # noqa: E402

SPECIALS = ["<pad>", "<bos>", "<eos>", "=", "?", ",", ":", "."]
TAGS = ["recall", "copy", "sort", "add", "count", "brackets", "lm"]
DIGITS = [str(i) for i in range(10)]
LETTERS = [chr(97 + i) for i in range(26)]
BRACKETS = ["(", ")", "[", "]", "{", "}", "<", ">"]
WORDS = ["yes", "no", "+", "mod"]
ANIMALS = ["cat", "dog", "cow", "fox", "owl", "bee", "hen", "pig", "rat", "bat"]
SOUNDS = ["meows", "barks", "moos", "yips", "hoots", "buzzes", "clucks", "oinks", "squeaks", "clicks"]
HOMES = ["house", "kennel", "barn", "den", "tree", "hive", "coop", "sty", "hole", "cave"]
FOODS = ["fish", "bones", "grass", "mice", "moths", "pollen", "seeds", "corn", "cheese", "fruit"]
LM_WORDS = ["the", "says", "lives", "in", "eats"] + ANIMALS + SOUNDS + HOMES + FOODS
TOKENS = SPECIALS + TAGS + DIGITS + LETTERS + BRACKETS + WORDS + LM_WORDS
ID = {t: i for i, t in enumerate(TOKENS)}
PAD, BOS, EOS = 0, 1, 2
V = 128


def I(t):
    return ID[t]


def rng_range(rng, v):
    return rng.randint(v[0], v[1]) if isinstance(v, list) else v


# ---- task forms ---------------------------------------------------------------------------------

def recall(rng, o):
    """Needle in a haystack, multi-query: P 'key value' pairs (letters, digits) at random places among
    filler words; then '? q1..qQ =' and the values of the queried keys in order."""
    P, Q, L = o.get("pairs", 8), rng_range(rng, o.get("queries", 4)), rng_range(rng, o.get("length", 64))
    filler = o.get("filler", "words")
    fill_vocab = LM_WORDS if filler == "words" else ["."]
    H = L - 2 * Q - 5
    keys = rng.sample(LETTERS, P)
    vals = [rng.choice(DIGITS) for _ in range(P)]
    nfill = H - 2 * P
    assert nfill >= 0, (L, P, Q)
    items = ["P"] * P + ["F"] * nfill
    rng.shuffle(items)
    hay, k = [], 0
    for it in items:
        if it == "P":
            hay += [keys[k], vals[k]]
            k += 1
        else:
            hay.append(rng.choice(fill_vocab))
    asked = rng.sample(range(P), Q)
    if o.get("form") == "mqar":
        # queries given in the answer, each followed by its value (the value alone is scored)
        ans = []
        for i in asked:
            ans += [-I(keys[i]), I(vals[i])]
        prompt = ["<bos>", "recall"] + hay + ["?"]
        return [I(t) for t in prompt], ans + [EOS]
    prompt = ["<bos>", "recall"] + hay + ["?"] + [keys[i] for i in asked] + ["="]
    return [I(t) for t in prompt], [I(vals[i]) for i in asked] + [EOS]


def add(rng, o):
    """Addition of two N-digit numbers, inputs and sum least significant digit first (sum: N+1 digits)."""
    N = o.get("digits", 20)
    a = [rng.randrange(10) for _ in range(N)]
    b = [rng.randrange(10) for _ in range(N)]
    s, c = [], 0
    for x, y in zip(a, b):
        s.append((x + y + c) % 10)
        c = (x + y + c) // 10
    s.append(c)
    prompt = [BOS, I("add")] + [I(str(x)) for x in a] + [I("+")] + [I(str(x)) for x in b] + [I("=")]
    return prompt, [I(str(x)) for x in s] + [EOS]


def sort(rng, o):
    n, distinct, alphabet = o.get("items", 30), o.get("distinct", True), o.get("alphabet", 36)
    syms = (DIGITS + LETTERS)[:alphabet] if alphabet > 26 else LETTERS[:alphabet]
    xs = rng.sample(syms, n) if distinct else [rng.choice(syms) for _ in range(n)]
    ids = [I(x) for x in xs]
    return [BOS, I("sort")] + ids + [I("=")], sorted(ids) + [EOS]


def count(rng, o):
    """How often the queried letter occurs (0..9, uniform), query after the sequence."""
    n, S, maxc = o.get("length", 58), o.get("symbols", 16), o.get("max", 9)
    alphabet = LETTERS[:S]
    q = rng.choice(alphabet)
    c = rng.randint(0, maxc)
    others = [x for x in alphabet if x != q]
    xs = [q] * c + [rng.choice(others) for _ in range(n - c)]
    rng.shuffle(xs)
    if o.get("form") == "mq":
        # Q distinct letters asked, each count uniform in 0..max; queries given in the answer
        Q = o.get("queries", 4)
        qs = rng.sample(alphabet, Q)
        cs = [rng.randint(0, maxc) for _ in qs]
        others = [x for x in alphabet if x not in qs]
        xs = [x for q_, c_ in zip(qs, cs) for x in [q_] * c_]
        xs += [rng.choice(others) for _ in range(n - len(xs))]
        rng.shuffle(xs)
        ans = []
        for q_, c_ in zip(qs, cs):
            ans += [-I(q_), I(str(c_))]
        return [BOS, I("count")] + [I(x) for x in xs] + [I("?")], ans + [EOS]
    tail = [I("?"), I(q)] + ([I("=")] if o.get("eq", True) else [])
    return [BOS, I("count")] + [I(x) for x in xs] + tail, [I(str(c)), EOS]


def closers(s):
    st = []
    for b in s:
        if b % 2 == 0:
            st.append(b)
        elif st.pop() != b - 1:
            return None
    return [b + 1 for b in reversed(st)]


def brackets(rng, o):
    n, types, depth = o.get("length", 60), o.get("types", 2), o.get("depth", 8)
    out, st = [], []
    for i in range(n):
        must = len(st) == 0 or (i == n - 1 and len(st) == 1)
        if must or (len(st) < depth and rng.random() < 0.5):
            k = 2 * rng.randrange(types)
            st.append(k)
            out.append(k)
        else:
            out.append(st.pop() + 1)
    return [BOS, I("brackets")] + [I(BRACKETS[b]) for b in out] + [I("=")], [I(BRACKETS[b]) for b in closers(out)] + [EOS]


def copy(rng, o):
    n = rng_range(rng, o.get("length", 30))
    syms = DIGITS + LETTERS + (LM_WORDS if o.get("wide") else [])
    xs = [I(x) for x in rng.sample(syms, n)] if o.get("distinct") else [I(rng.choice(LETTERS)) for _ in range(n)]
    return [BOS, I("copy")] + xs + [I("=")], xs + [EOS]


def lm(rng, o):
    def fact(a):
        r = rng.randrange(3)
        if r == 0:
            return ["the", ANIMALS[a], "says"], SOUNDS[a]
        if r == 1:
            return ["the", ANIMALS[a], "lives", "in", "the"], HOMES[a]
        return ["the", ANIMALS[a], "eats"], FOODS[a]

    words = []
    while len(words) < o.get("context", 56):
        h, ob = fact(rng.randrange(10))
        words += h + [ob, "."]
    h, ob = fact(rng.randrange(10))
    return [BOS, I("lm")] + [I(w) for w in words + h] + [I("=")], [I(ob), I("."), EOS]


FORMS = {"recall": recall, "add": add, "sort": sort, "count": count, "brackets": brackets, "copy": copy, "lm": lm}


# ---- batches and scoring ------------------------------------------------------------------------

def batch(rows):
    """rows: [(prompt, answer)] -> ids, labels [B, T] with T the longest row (trailing pads change nothing)."""
    T = max(len(p) + len(a) for p, a in rows)
    ids = torch.full((len(rows), T), PAD, dtype=torch.long)
    lab = torch.full((len(rows), T), -100, dtype=torch.long)
    for i, (p, a) in enumerate(rows):
        # a negative answer id is a given token: in the input, not scored
        ids[i, : len(p) + len(a)] = torch.tensor(p + [abs(x) for x in a])
        lab[i, len(p): len(p) + len(a)] = torch.tensor([x if x > 0 else -100 for x in a])
    return ids, lab


TOKEN_ACC = {}


def exact(W, cfg, rows, bs=100, name=None):
    """Exact match of rows; the share of scored tokens right goes to TOKEN_ACC[name]."""
    hits, right, total = 0, 0, 0
    with torch.no_grad():
        for s in range(0, len(rows), bs):
            ids, lab = batch(rows[s: s + bs])
            pred = families.forward(W, cfg, ids)[:, :-1].argmax(-1)   # [B, T-1]
            tgt = lab[:, 1:]
            hits += ((pred == tgt) | (tgt == -100)).all(-1).sum().item()
            right += ((pred == tgt) & (tgt != -100)).sum().item()
            total += (tgt != -100).sum().item()
    if name:
        TOKEN_ACC[name] = round(right / total, 3)
    return hits / len(rows)


def lr_at(step, a):
    if step < a.warmup:
        return a.lr * (step + 1) / a.warmup
    if a.sched == "constant":
        return a.lr
    p = min(1.0, (step - a.warmup) / max(1, a.steps - a.warmup))
    return 0.1 * a.lr + 0.9 * a.lr * 0.5 * (1 + math.cos(math.pi * p))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tasks", default='{"recall":{}}', help="JSON {task: options}; options may hold 'weight'")
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--every", type=int, default=500)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--sched", default="cosine")
    ap.add_argument("--wd", type=float, default=0.01)
    ap.add_argument("--beta2", type=float, default=0.999)
    ap.add_argument("--d", type=int, default=128)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--ff", type=int, default=0, help="default: 8/3 d rounded to 32")
    ap.add_argument("--init", type=float, default=0.02)
    ap.add_argument("--theta", type=float, default=10000.0)
    ap.add_argument("--n", type=int, default=200, help="held-out examples per task")
    ap.add_argument("--lens", default="64,128,192,256", help="recall context lengths to score")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--save", default="")
    ap.add_argument("--pre", default="", help="JSON {task: options}: the mixture of the first --pre-steps steps")
    ap.add_argument("--pre-steps", type=int, default=0)
    ap.add_argument("--homog", action="store_true", help="each batch from one task (no padding of short rows to long ones)")
    a = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(a.seed)
    tasks = json.loads(a.tasks)
    names = list(tasks)
    weights = [tasks[t].pop("weight", 1.0) for t in names]
    ff = a.ff or int(round(a.d * 8 / 3 / 32) * 32)
    cfg = {"model_type": "llama", "hidden_size": a.d, "num_hidden_layers": a.layers, "num_attention_heads": a.heads,
           "num_key_value_heads": a.heads, "intermediate_size": ff, "vocab_size": V, "rms_norm_eps": 1e-6,
           "rope_theta": a.theta, "tie_word_embeddings": False}
    W = {k: (torch.ones(s) if len(s) == 1 else torch.randn(s) * a.init).requires_grad_() for k, s in families.weight_shapes(cfg).items()}
    nparams = sum(w.numel() for w in W.values())
    decay = [w for w in W.values() if w.dim() >= 2]
    plain = [w for w in W.values() if w.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": a.wd}, {"params": plain, "weight_decay": 0.0}],
                            lr=a.lr, betas=(0.9, a.beta2), eps=1e-8)
    ev_rng = random.Random(10_000 + a.seed)
    evals = {t: [FORMS[t](ev_rng, tasks[t]) for _ in range(a.n)] for t in names}
    lens = [int(x) for x in a.lens.split(",")] if "recall" in names else []
    by_len = {L: [recall(ev_rng, {**tasks["recall"], "length": L}) for _ in range(a.n)] for L in lens}
    print(json.dumps({"config": vars(a), "tasks": tasks, "params": nparams, "ff": ff}), flush=True)
    pre = json.loads(a.pre) if a.pre else {}
    pre_names = list(pre)
    pre_weights = [pre[t].pop("weight", 1.0) for t in pre_names]
    rng = random.Random(a.seed)
    t0, scoring, losses = time.perf_counter(), 0.0, []
    for step in range(a.steps):
        for g in opt.param_groups:
            g["lr"] = lr_at(step, a)
        if step < a.pre_steps:
            rows = [FORMS[t](rng, pre[t]) for t in rng.choices(pre_names, pre_weights, k=a.batch)]
        elif a.homog:
            t = rng.choices(names, weights)[0]
            rows = [FORMS[t](rng, tasks[t]) for _ in range(a.batch)]
        else:
            rows = [FORMS[t](rng, tasks[t]) for t in rng.choices(names, weights, k=a.batch)]
        ids, lab = batch(rows)
        logits = families.forward(W, cfg, ids)   # [B, T, V]
        loss = F.cross_entropy(logits[:, :-1].reshape(-1, V), lab[:, 1:].reshape(-1), ignore_index=-100)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(W.values(), 1.0)
        opt.step()
        losses.append(loss.item())
        if (step + 1) % a.every == 0 or step + 1 == a.steps:
            s0 = time.perf_counter()
            acc = {t: exact(W, cfg, evals[t], name=t) for t in names}
            rl = {L: exact(W, cfg, by_len[L]) for L in lens}
            print(json.dumps({"step": step + 1, "s": round(s0 - t0 - scoring, 1), "loss": round(sum(losses) / len(losses), 4),
                              "acc": acc, "tok": dict(TOKEN_ACC), "recall_by_len": rl, "load": os.getloadavg()[0]}), flush=True)
            losses = []
            scoring += time.perf_counter() - s0
    if a.save:
        torch.save({k: w.detach() for k, w in W.items()}, a.save)


if __name__ == "__main__":
    main()
