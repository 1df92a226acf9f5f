"""Session fixtures for the trainer's tests: tiny Qwen3 and Llama models on disk."""

from __future__ import annotations

from pathlib import Path

import pytest
from tiny_models import save_tiny


@pytest.fixture(scope="session")
def qwen_dir(tmp_path_factory) -> Path:
    return save_tiny("qwen3", tmp_path_factory.mktemp("qwen3"))


@pytest.fixture(scope="session")
def llama_dir(tmp_path_factory) -> Path:
    return save_tiny("llama", tmp_path_factory.mktemp("llama"))


@pytest.fixture(params=["qwen3", "llama"])
def model_dir(request, qwen_dir, llama_dir) -> Path:
    return qwen_dir if request.param == "qwen3" else llama_dir
