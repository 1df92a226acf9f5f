"""Loading any causal LM by path: two architectures, clear errors for bad paths."""

import sys
from pathlib import Path

import pytest
import torch

from sftlab.errors import UserError
from sftlab.models.presets import load_model

sys.path.insert(0, str(Path(__file__).parents[1] / "train"))
from tiny_models import save_tiny  # noqa: E402


@pytest.mark.parametrize("arch, model_type", [("qwen3", "qwen3"), ("llama", "llama")])
def test_loads_saved_models_with_their_tokenizer(tmp_path, arch, model_type):
    model, tok = load_model(save_tiny(arch, tmp_path / arch))
    assert model.config.model_type == model_type
    assert model.config._attn_implementation == "sdpa"
    assert tok.pad_token_id is not None and tok.chat_template
    assert model(torch.tensor([[1, 5, 6]])).logits.shape == (1, 3, len(tok))


def test_bad_paths_are_user_errors(tmp_path):
    with pytest.raises(UserError, match="does not exist"):
        load_model(tmp_path / "missing")
    with pytest.raises(UserError, match="no config.json"):
        load_model(tmp_path)

