#!/usr/bin/python3
"""Regenerate test/fixtures/models/{llama,qwen2,olmo2}: a tiny random Hugging Face checkpoint per
family and the reference numbers the TypeScript tests compare against.

    /usr/bin/python3 tools/reference/make_fixtures.py [--out test/fixtures/models]

Each directory gets config.json, generation_config.json, model.safetensors (llama F32 with tied
embeddings and Llama 3 rope scaling, qwen2 F16, olmo2 BF16), and reference.safetensors:

    input_ids [2,8] I64, targets [2,8] I64, attention_mask [2,8] I64 (row 0 left-padded),
    position_ids [2,8] I64 (offset 100)
    logits         forward(input_ids)                                   [2,8,V]
    logits_masked  forward(input_ids, attention_mask)                   [2,8,V] (compare real tokens)
    logits_pos     forward(input_ids, position_ids=position_ids)         [2,8,V]
    loss           mean cross-entropy of `logits` vs targets            []
    grad.<name>    d loss / d weight, for the weights named in metadata "grad_names"

The reference computation uses the weights exactly as stored (after F16/BF16 rounding), in float32.
The qwen2 directory also gets a small BPE tokenizer (tokenizer.json, tokenizer_config.json with a
ChatML chat template). Requires torch and numpy only; the fixtures are committed, tests never run this.
"""
import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import families  # noqa: E402
import safetensors_io  # noqa: E402

BASE = {
    "vocab_size": 64, "hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 2,
    "num_attention_heads": 4, "num_key_value_heads": 2, "max_position_embeddings": 128,
    "hidden_act": "silu", "initializer_range": 0.02, "attention_dropout": 0.0, "use_cache": True,
    "bos_token_id": 1, "eos_token_id": 2,
}

FAMILIES = {
    "llama": dict(
        config={**BASE, "architectures": ["LlamaForCausalLM"], "model_type": "llama", "rope_theta": 10000.0,
                "rms_norm_eps": 1e-5, "tie_word_embeddings": True, "attention_bias": False, "mlp_bias": False,
                "head_dim": 8,
                # wavelengths 6.3, 63, 628, 6283 against 16 / 64: one high, one medium, two low frequencies
                "rope_scaling": {"rope_type": "llama3", "factor": 4.0, "low_freq_factor": 1.0,
                                 "high_freq_factor": 4.0, "original_max_position_embeddings": 64},
                "torch_dtype": "float32"},
        dtype="F32", grads=["model.layers.0.self_attn.q_proj.weight", "model.embed_tokens.weight"]),
    "qwen2": dict(
        config={**BASE, "architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "rope_theta": 1000000.0,
                "rms_norm_eps": 1e-6, "tie_word_embeddings": False, "use_sliding_window": False,
                "sliding_window": None, "max_window_layers": 2, "rope_scaling": None,
                "bos_token_id": 1, "eos_token_id": 3, "torch_dtype": "float16"},
        dtype="F16", grads=["model.layers.0.self_attn.q_proj.weight", "model.layers.0.self_attn.k_proj.bias"]),
    "olmo2": dict(
        config={**BASE, "architectures": ["Olmo2ForCausalLM"], "model_type": "olmo2", "rope_theta": 500000.0,
                "rms_norm_eps": 1e-6, "tie_word_embeddings": False, "attention_bias": False,
                "rope_scaling": None, "torch_dtype": "bfloat16"},
        dtype="BF16", grads=["model.layers.0.self_attn.q_proj.weight", "model.layers.1.self_attn.q_norm.weight"]),
}


def random_weights(cfg: dict, seed: int) -> dict:
    g = torch.Generator().manual_seed(seed)
    W = {}
    for name, shape in families.weight_shapes(cfg).items():
        if name.endswith("norm.weight"):
            W[name] = 1.0 + 0.1 * torch.randn(shape, generator=g)
        elif name.endswith(".bias"):
            W[name] = 0.1 * torch.randn(shape, generator=g)
        elif name.endswith("embed_tokens.weight"):  # tied: also the output head, keep logits moderate
            W[name] = (0.5 if cfg.get("tie_word_embeddings") else 1.0) * torch.randn(shape, generator=g)
        else:
            W[name] = 0.2 * torch.randn(shape, generator=g)
    return W


def round_trip(W: dict, dtype: str) -> dict:
    t = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}[dtype]
    return {k: v.to(t).float() for k, v in W.items()}


def tokenizer_files() -> tuple[dict, dict]:
    specials = ["<unk>", "<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    chars = ["\u2581", "\n", ".", ",", "!", "?"] + [chr(c) for c in range(ord("a"), ord("z") + 1)]
    merges = ["t h", "h e", "i n", "e r", "a n", "r e", "o n", "a t", "e n", "n d", "t i", "e s", "o r",
              "t e", "o f", "e d", "i s", "i t", "a l", "a r", "s t", "t o", "n t", "n g", "s e", "h a",
              "o u", "l l"]
    vocab = {tok: i for i, tok in enumerate(specials + chars + [m.replace(" ", "") for m in merges])}
    assert len(vocab) == 64, len(vocab)
    tok = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [{"id": i, "content": s, "single_word": False, "lstrip": False, "rstrip": False,
                          "normalized": False, "special": True} for i, s in enumerate(specials)],
        "normalizer": None,
        "pre_tokenizer": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "first", "split": True},
        "post_processor": None,
        "decoder": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "first", "split": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": "<unk>", "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": True, "byte_fallback": False, "ignore_merges": False,
                  "vocab": vocab, "merges": merges},
    }
    chatml = ("{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content']"
              " + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}")
    cfg = {"tokenizer_class": "PreTrainedTokenizerFast", "bos_token": None, "eos_token": "<|im_end|>",
           "pad_token": "<|endoftext|>", "unk_token": "<unk>", "model_max_length": 128,
           "clean_up_tokenization_spaces": False, "chat_template": chatml}
    return tok, cfg


def write_json(path: str, obj: dict) -> None:
    with open(path, "w") as f:
        json.dump(obj, f, indent=2, ensure_ascii=False)
        f.write("\n")


def make(out: str, family: str, spec: dict, seed: int) -> None:
    cfg, dtype = spec["config"], spec["dtype"]
    d = os.path.join(out, family)
    os.makedirs(d, exist_ok=True)
    W = random_weights(cfg, seed)
    safetensors_io.write(os.path.join(d, "model.safetensors"), W, {k: dtype for k in W}, {"format": "pt"})
    W = round_trip(W, dtype)  # the reference sees exactly what the file holds
    stored = safetensors_io.read(os.path.join(d, "model.safetensors"))
    assert all(torch.equal(stored[k], W[k]) for k in W), "safetensors round trip"
    write_json(os.path.join(d, "config.json"), cfg)
    write_json(os.path.join(d, "generation_config.json"),
               {"bos_token_id": cfg["bos_token_id"], "eos_token_id": cfg["eos_token_id"], "do_sample": False})

    g = torch.Generator().manual_seed(seed + 1)
    B, T, V = 2, 8, cfg["vocab_size"]
    ids = torch.randint(0, V, (B, T), generator=g)
    targets = torch.randint(0, V, (B, T), generator=g)
    attention_mask = torch.ones(B, T, dtype=torch.int64)
    attention_mask[0, :2] = 0
    position_ids = torch.arange(T)[None].expand(B, T) + 100

    params = {k: v.clone().requires_grad_(k in spec["grads"]) for k, v in W.items()}
    logits = families.forward(params, cfg, ids)
    loss = torch.nn.functional.cross_entropy(logits.reshape(-1, V), targets.reshape(-1))
    grads = torch.autograd.grad(loss, [params[n] for n in spec["grads"]])
    with torch.no_grad():
        logits_masked = families.forward(W, cfg, ids, attention_mask=attention_mask)
        logits_pos = families.forward(W, cfg, ids, position_ids=position_ids)

    ref = {"input_ids": ids, "targets": targets, "attention_mask": attention_mask,
           "position_ids": position_ids.contiguous(), "logits": logits.detach(), "logits_masked": logits_masked,
           "logits_pos": logits_pos, "loss": loss.detach()}
    for n, gr in zip(spec["grads"], grads):
        ref["grad." + n] = gr
    safetensors_io.write(os.path.join(d, "reference.safetensors"), ref,
                         metadata={"generator": "tools/reference/make_fixtures.py", "torch": torch.__version__,
                                   "grad_names": json.dumps(spec["grads"])})
    if family == "qwen2":
        tok, tok_cfg = tokenizer_files()
        write_json(os.path.join(d, "tokenizer.json"), tok)
        write_json(os.path.join(d, "tokenizer_config.json"), tok_cfg)
    print(f"{family}: loss {loss.item():.6f}, logits std {logits.std().item():.3f} -> {d}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "..", "test", "fixtures", "models"))
    args = ap.parse_args()
    torch.set_default_dtype(torch.float32)
    for i, (family, spec) in enumerate(FAMILIES.items()):
        make(os.path.normpath(args.out), family, spec, seed=1234 + 100 * i)


if __name__ == "__main__":
    main()
