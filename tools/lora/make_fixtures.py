"""Golden outputs for Stillroom's float64 linear algebra (sdk/lora/linalg): numpy's SVD, QR and
symmetric eigen-decomposition (LAPACK: dgesdd, dgeqrf + dorgqr, dsyevd) of small fixed matrices,
written to test/fixtures/lora/linalg.json.

Deterministic: rerunning gives identical bytes. Needs only numpy:

    /usr/bin/python3 tools/lora/make_fixtures.py
"""
import json
import os

import numpy as np

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
OUT = os.path.join(ROOT, "test", "fixtures", "lora", "linalg.json")


def graded(rng, m, n, singular):
    """An m x n matrix with the given singular values and random singular vectors."""
    u, _ = np.linalg.qr(rng.standard_normal((m, len(singular))))
    v, _ = np.linalg.qr(rng.standard_normal((n, len(singular))))
    return (u * np.asarray(singular)) @ v.T


def main():
    rng = np.random.RandomState(20240611)
    svd_cases = {
        "tall": rng.standard_normal((40, 7)),
        "wide": rng.standard_normal((6, 25)),
        "square": rng.standard_normal((12, 12)),
        "rank3": rng.standard_normal((30, 3)) @ rng.standard_normal((3, 10)),
        "graded": graded(rng, 20, 8, [10.0 ** -k for k in range(0, 16, 2)]),
        "weight": 0.02 * rng.standard_normal((24, 16)),
    }
    qr_cases = {
        "tall": rng.standard_normal((9, 5)),
        "wide": rng.standard_normal((4, 7)),
        "zero_lead": np.array([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [4.0, 0.0, 1.0], [0.0, 2.0, 0.0]]),
        # column 0 is zero below its diagonal entry: LAPACK leaves it (tau = 0), so R[0, 0] keeps its sign
        "done_column": np.array([[-2.0, 1.0, 0.5], [0.0, 3.0, 1.0], [0.0, 4.0, 2.0]]),
        "weight": 0.02 * rng.standard_normal((16, 24)),
    }
    sym = rng.standard_normal((10, 10))
    q, _ = np.linalg.qr(rng.standard_normal((7, 7)))
    eigh_cases = {
        "random": sym + sym.T,
        "repeated": (q * [3.0, 3.0, 1.0, 0.5, 0.5, 0.5, -2.0]) @ q.T,
        "gram": (lambda x: x.T @ x)(rng.standard_normal((30, 6))),
        "diagonal": np.diag([1.0, -4.0, 2.5, 0.0]),
        "two": np.array([[2.0, 1.0], [1.0, 2.0]]),
        "one": np.array([[-3.5]]),
    }
    out = {"svd": {}, "qr": {}, "eigh": {}}
    for name, a in svd_cases.items():
        u, s, vt = np.linalg.svd(a, full_matrices=False)
        out["svd"][name] = {"a": a.tolist(), "u": u.tolist(), "s": s.tolist(), "vt": vt.tolist()}
    for name, a in qr_cases.items():
        q, r = np.linalg.qr(a, mode="reduced")
        out["qr"][name] = {"a": a.tolist(), "q": q.tolist(), "r": r.tolist()}
    for name, a in eigh_cases.items():
        w, v = np.linalg.eigh(a)
        out["eigh"][name] = {"a": a.tolist(), "values": w[::-1].tolist(), "vectors": v[:, ::-1].T.tolist()}
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(out, f)
        f.write("\n")
    print(f"wrote {os.path.relpath(OUT, ROOT)}")


if __name__ == "__main__":
    main()
