"""Tiny Qwen3-architecture presets built locally (no download), and loading of any HF model path.

Sizes span the mini-lab's capability axis, from about 0.1M to 10M parameters with the character
vocabulary of `sftlab.models.tokenizer`.
"""

from __future__ import annotations

from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, PreTrainedModel, PreTrainedTokenizerBase, Qwen3Config

from sftlab.errors import UserError
from sftlab.models import PRESETS
from sftlab.models.tokenizer import build_tokenizer

def preset_config(name: str, tokenizer: PreTrainedTokenizerBase, max_positions: int = 1024) -> Qwen3Config:
    if name not in PRESETS:
        raise UserError(f"unknown model preset {name!r}; known: {', '.join(PRESETS)}")
    hidden, layers, heads, kv_heads, mlp = PRESETS[name]
    return Qwen3Config(
        vocab_size=len(tokenizer),
        hidden_size=hidden,
        intermediate_size=mlp,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=kv_heads,
        head_dim=hidden // heads,
        max_position_embeddings=max_positions,
        tie_word_embeddings=True,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        bos_token_id=None,
    )


def build_preset(name: str, seed: int = 0) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """A freshly initialised preset model and the mini-lab tokenizer."""
    tokenizer = build_tokenizer()
    config = preset_config(name, tokenizer)
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(config, attn_implementation="sdpa")
    return model, tokenizer


def flash_attention_available() -> bool:
    """flash-attention varlen kernels: a CUDA device and the flash_attn package."""
    import importlib.util

    return torch.cuda.is_available() and importlib.util.find_spec("flash_attn") is not None


def check_model_path(path: str | Path) -> None:
    """Fail early on a local model path that is missing or holds no model (hub ids pass)."""
    local = Path(path)
    if not local.exists() and (str(path).startswith((".", "/", "~")) or local.suffix or str(path).count("/") > 1):
        raise UserError(f"{path}: model path does not exist")
    if local.is_dir() and not (local / "config.json").exists():
        raise UserError(f"{path}: not a Hugging Face model directory (no config.json)")


def load_model(
    path: str | Path, dtype: torch.dtype = torch.float32, attn_implementation: str | None = None
) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """Any causal LM and its tokenizer from a local directory or hub id.

    `attn_implementation` defaults to sdpa; a directory that exists but holds no model, or a hub id
    that cannot be found, is a UserError naming the path.
    """
    check_model_path(path)
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(path))
        model = AutoModelForCausalLM.from_pretrained(str(path), dtype=dtype, attn_implementation=attn_implementation or "sdpa")
    except OSError as e:
        raise UserError(f"{path}: cannot load model: {str(e).splitlines()[0]}") from None
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    if tokenizer.chat_template is None:
        raise UserError(f"{path}: the tokenizer has no chat template; SFT renders prompts with it")
    return model, tokenizer


def parameter_count(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
