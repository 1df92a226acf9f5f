"""Tiny models of two architectures saved to disk, and small chat records, for the trainer's tests."""

from __future__ import annotations

import random
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, LlamaConfig

from sftlab.models.presets import build_preset
from sftlab.models.tokenizer import build_tokenizer


def save_tiny(arch: str, path: Path, seed: int = 0) -> Path:
    """A randomly initialised Qwen3 (the xs preset) or Llama model with the mini-lab tokenizer."""
    if arch == "qwen3":
        model, tokenizer = build_preset("xs", seed)
    else:
        tokenizer = build_tokenizer()
        config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                             num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=512,
                             pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id, bos_token_id=None)
        torch.manual_seed(seed)
        model = AutoModelForCausalLM.from_config(config, attn_implementation="sdpa")
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def make_records(n: int, seed: int = 0) -> list[dict]:
    """Sums with a short worked answer: prompts and responses of varied length."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        nums = [rng.randint(1, 99) for _ in range(rng.randint(2, 6))]
        steps = " ".join(f"{sum(nums[:i])}+{x}={sum(nums[: i + 1])}." for i, x in enumerate(nums[1:], 1))
        out.append({"messages": [{"role": "user", "content": "add " + " ".join(map(str, nums))}],
                    "response": f"<think>{steps}</think>{sum(nums)}"})
    return out
