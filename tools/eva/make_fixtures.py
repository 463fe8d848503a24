"""Golden outputs for Stillroom's incremental PCA (sdk/eva/ipca.ts), written to
test/fixtures/eva/ipca.json:

- a reference incremental PCA in numpy float64, written here from the algorithm (Ross et al. 2008,
  as scikit-learn's IncrementalPCA runs it: the stacked matrix of S * V, the centred batch and the
  mean-shift row; svd_flip on V; float64 mean and variance), run on fixed batches;
- numpy's full PCA (SVD of all rows seen so far, centred) after each batch, for the subspace test
  (rows of rank <= k) and the full-rank measurement.

Deterministic: rerunning gives identical bytes. Needs only numpy:

    /usr/bin/python3 tools/eva/make_fixtures.py
"""
import json
import os

import numpy as np

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
OUT = os.path.join(ROOT, "test", "fixtures", "eva", "ipca.json")


class ReferenceIPCA:
    def __init__(self, k):
        self.k = k
        self.n = 0
        self.mean = None
        self.var = None
        self.components = None
        self.singular = None

    def partial_fit(self, x):
        x = np.asarray(x, dtype=np.float64)
        n, d = x.shape
        batch_mean = x.mean(axis=0)
        batch_ss = ((x - batch_mean) ** 2).sum(axis=0)
        total = self.n + n
        if self.n == 0:
            mean = batch_mean
            var = batch_ss / total
            stacked = x - mean
        else:
            mean = (self.mean * self.n + x.sum(axis=0)) / total
            var = (self.var * self.n + batch_ss + self.n * n / total * (self.mean - batch_mean) ** 2) / total
            shift = np.sqrt(self.n * n / total) * (self.mean - batch_mean)
            stacked = np.vstack([self.singular[:, None] * self.components, x - batch_mean, shift[None, :]])
        _, s, vt = np.linalg.svd(stacked, full_matrices=False)
        at = np.argmax(np.abs(vt), axis=1)
        vt = vt * np.sign(vt[np.arange(vt.shape[0]), at])[:, None]
        self.n, self.mean, self.var = total, mean, var
        self.components = vt[: self.k]
        self.singular = s[: self.k]
        self.ratio = s[: self.k] ** 2 / (var * total).sum()
        return self


def full_pca(rows, k):
    c = rows - rows.mean(axis=0)
    _, s, vt = np.linalg.svd(c, full_matrices=False)
    return vt[:k], s[:k]


def case(x, sizes, k):
    assert sum(sizes) == len(x)
    ipca = ReferenceIPCA(k)
    steps, at = [], 0
    for size in sizes:
        ipca.partial_fit(x[at : at + size])
        at += size
        comp, s = full_pca(x[:at], k)
        steps.append({
            "rows": at,
            "components": ipca.components.tolist(),
            "singular_values": ipca.singular.tolist(),
            "explained_variance_ratio": ipca.ratio.tolist(),
            "mean": ipca.mean.tolist(),
            "var": ipca.var.tolist(),
            "full_components": comp.tolist(),
            "full_singular_values": s.tolist(),
        })
    return {"x": x.tolist(), "sizes": sizes, "k": k, "steps": steps}


def main():
    rng = np.random.RandomState(7)
    # rows spanning 3 directions (plus an offset): the incremental result is exact for k >= 3
    low = rng.standard_normal((240, 3)) @ (rng.standard_normal((3, 12)) * [[5.0], [2.0], [0.5]]) + 3.0
    # full rank with decaying scales: the incremental result approximates
    full = rng.standard_normal((400, 10)) * np.geomspace(4.0, 0.05, 10) + rng.standard_normal(10)
    out = {
        "low_rank": case(low, [40, 17, 60, 23, 100], 4),
        "full_rank": case(full, [50] * 8, 4),
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(out, f)
        f.write("\n")
    print(f"wrote {os.path.relpath(OUT, ROOT)}")


if __name__ == "__main__":
    main()
