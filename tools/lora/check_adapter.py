"""Check a LoRA adapter directory the way PEFT would read it, without PEFT (json + numpy only).

    /usr/bin/python3 tools/lora/check_adapter.py ADAPTER_DIR BASE.safetensors MERGED.safetensors

ADAPTER_DIR holds adapter_config.json and adapter_model.safetensors; BASE is the original model's
weights, MERGED the weights Stillroom wrote after merging the adapter. The check, following PEFT's
own code paths (tuners_utils.check_target_module_exists, utils.other.get_pattern_key,
LoraLayer.update_layer / pissa_init / olora_init, save_and_load key names):

- every tensor is named base_model.model.<module>.lora_A.weight or .lora_B.weight, the module is a
  linear of the base model that target_modules selects, and every selected linear has both factors;
- lora_A is [r, in] and lora_B is [out, r], with r from rank_pattern or r;
- for each module, base + scaling * B @ A equals the merged weight, scaling = alpha / r (alpha / sqrt(r)
  with use_rslora), alpha from alpha_pattern or lora_alpha; PiSSA and OLoRA first re-derive the
  residual base from the original weight (PEFT does the same when it loads such an adapter);
- every other weight of the merged model equals the base's.

Prints one JSON line and exits 0 when everything holds, else prints what failed and exits 1.
"""
import json
import re
import struct
import sys

import numpy as np

PREFIX = "base_model.model."


def read_safetensors(path):
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8 : 8 + n])
    data = blob[8 + n :]
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        a, b = e["data_offsets"]
        raw = data[a:b]
        if e["dtype"] == "F32":
            arr = np.frombuffer(raw, dtype="<f4")
        elif e["dtype"] == "F16":
            arr = np.frombuffer(raw, dtype="<f2").astype(np.float32)
        elif e["dtype"] == "BF16":
            arr = (np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
        else:
            raise ValueError(f"{path}: {name} has dtype {e['dtype']}")
        out[name] = arr.reshape(e["shape"]).astype(np.float64)
    return out


def targeted(target_modules, key):
    # tuners_utils.check_target_module_exists: a string is a full-match regex, a list holds names
    if isinstance(target_modules, str):
        return re.fullmatch(target_modules, key) is not None
    return key in target_modules or any(key.endswith("." + t) for t in target_modules)


def pattern_value(patterns, key, default):
    # utils.other.get_pattern_key: the first key that matches the end of the module name
    for k in patterns:
        if re.match(rf"(.*\.)?({k})$", key):
            return patterns[k]
    return default


def residual(w, init, r, scaling):
    if init == "pissa":
        u, s, vt = np.linalg.svd(w, full_matrices=False)
        return w - (u[:, :r] * s[:r]) @ vt[:r]
    if init == "olora":
        q, rr = np.linalg.qr(w)
        return w - scaling * q[:, :r] @ rr[:r]
    return w


def main(adapter_dir, base_path, merged_path):
    cfg = json.load(open(f"{adapter_dir}/adapter_config.json"))
    errors = []
    if cfg.get("peft_type") != "LORA":
        errors.append(f"peft_type = {cfg.get('peft_type')!r}, expected 'LORA'")
    if cfg.get("task_type") != "CAUSAL_LM":
        errors.append(f"task_type = {cfg.get('task_type')!r}, expected 'CAUSAL_LM'")
    for field in ["r", "lora_alpha", "target_modules", "rank_pattern", "alpha_pattern", "init_lora_weights", "base_model_name_or_path", "use_rslora", "lora_dropout"]:
        if field not in cfg:
            errors.append(f"adapter_config.json has no {field}")
    adapter = read_safetensors(f"{adapter_dir}/adapter_model.safetensors")
    base = read_safetensors(base_path)
    merged = read_safetensors(merged_path)
    modules = {}
    for key in adapter:
        m = re.fullmatch(re.escape(PREFIX) + r"(.+)\.(lora_A|lora_B)\.weight", key)
        if not m:
            errors.append(f"{key}: not a PEFT LoRA tensor name")
            continue
        modules.setdefault(m.group(1), {})[m.group(2)] = adapter[key]
    linears = {k[: -len(".weight")] for k, v in base.items() if k.endswith(".weight") and v.ndim == 2 and not k.endswith("embed_tokens.weight")}
    for name in sorted(linears):
        if targeted(cfg["target_modules"], name) and name not in modules:
            errors.append(f"target_modules selects {name}, but the adapter has no factors for it")
    init = cfg.get("init_lora_weights")
    worst = 0.0
    checked = set()
    for name, f in sorted(modules.items()):
        if name not in linears:
            errors.append(f"{name}: not a linear layer of the base model")
            continue
        if not targeted(cfg["target_modules"], name):
            errors.append(f"{name}: has factors but target_modules {cfg['target_modules']} does not select it")
        if set(f) != {"lora_A", "lora_B"}:
            errors.append(f"{name}: has {sorted(f)}, expected lora_A and lora_B")
            continue
        w = base[name + ".weight"]
        out_f, in_f = w.shape
        r = pattern_value(cfg.get("rank_pattern") or {}, name, cfg["r"])
        alpha = pattern_value(cfg.get("alpha_pattern") or {}, name, cfg["lora_alpha"])
        a, b = f["lora_A"], f["lora_B"]
        if a.shape != (r, in_f) or b.shape != (out_f, r):
            errors.append(f"{name}: lora_A {list(a.shape)}, lora_B {list(b.shape)}; expected [{r}, {in_f}] and [{out_f}, {r}]")
            continue
        scaling = alpha / np.sqrt(r) if cfg.get("use_rslora") else alpha / r
        expect = residual(w, init, r, scaling) + scaling * (b @ a)
        got = merged[name + ".weight"]
        diff = float(np.max(np.abs(expect - got)))
        tol = 1e-5 * max(1.0, float(np.max(np.abs(expect))))
        worst = max(worst, diff)
        if diff > tol:
            errors.append(f"{name}: base + scaling * B @ A differs from the merged weight by {diff:.3g} (tolerance {tol:.3g})")
        checked.add(name + ".weight")
    for k, v in base.items():
        if k in checked or k not in merged:
            continue
        if not np.array_equal(v, merged[k]):
            errors.append(f"{k}: not adapted, yet the merged model changed it")
    if errors:
        print("\n".join(errors))
        sys.exit(1)
    print(json.dumps({"modules": len(checked), "max_abs_diff": worst, "init_lora_weights": init}))


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit("usage: check_adapter.py ADAPTER_DIR BASE.safetensors MERGED.safetensors")
    main(*sys.argv[1:])
