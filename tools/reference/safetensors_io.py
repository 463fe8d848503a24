"""Minimal safetensors reader/writer (the format: 8-byte little-endian header length, a JSON
header {name: {dtype, shape, data_offsets}}, then the raw little-endian tensor bytes).

Independent of the `safetensors` package, which need not be installed.
"""
import json
import struct

import numpy as np
import torch

_TORCH = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
          "I64": torch.int64, "I32": torch.int32}
_BYTES = {"F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4}


def _raw(t: torch.Tensor, dtype: str) -> bytes:
    t = t.detach().to(_TORCH[dtype]).contiguous()
    if dtype == "BF16":  # numpy has no bfloat16: reinterpret the bits
        return t.view(torch.int16).numpy().tobytes()
    return t.numpy().tobytes()


def write(path: str, tensors: dict, dtypes: dict | None = None, metadata: dict | None = None) -> None:
    """tensors: name -> torch.Tensor; dtypes: name -> 'F32' | 'F16' | 'BF16' | 'I64' | 'I32'."""
    dtypes = dtypes or {}
    header, chunks, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name in sorted(tensors):
        t = tensors[name]
        dtype = dtypes.get(name) or {torch.int64: "I64", torch.int32: "I32"}.get(t.dtype, "F32")
        raw = _raw(t, dtype)
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # pad the header so the data section is 8-byte aligned
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for c in chunks:
            f.write(c)


def read(path: str) -> dict:
    """name -> float32 (or int64/int32) torch.Tensor."""
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    data = blob[8 + n:]
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        a, b = e["data_offsets"]
        raw = data[a:b]
        if e["dtype"] == "BF16":
            bits = torch.from_numpy(np.frombuffer(raw, dtype=np.int16).copy())
            t = bits.view(torch.bfloat16).float()
        else:
            np_dtype = {"F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32}[e["dtype"]]
            t = torch.from_numpy(np.frombuffer(raw, dtype=np_dtype).copy())
            if e["dtype"] == "F16":
                t = t.float()
        out[name] = t.reshape(e["shape"])
    return out
