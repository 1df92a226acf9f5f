"""The generator factory picks the configured backend; the HF backend batches without changing results."""

from __future__ import annotations

import importlib.util

import pytest
import torch

from sftlab.config import EvalConfig
from sftlab.errors import UserError
from sftlab.evaluate import backends
from sftlab.evaluate.backends import HFGenerator, make_generator, resolve_backend
from sftlab.evaluate.benchmarks.base import Sampling
from sftlab.evaluate.openai_backend import OpenAIGenerator
from sftlab.models.presets import build_preset


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("xs")
    model, tokenizer = build_preset("xs", seed=0)
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def prompts(tokenizer, questions):
    return [tokenizer.apply_chat_template([{"role": "user", "content": q}], add_generation_prompt=True, tokenize=False)
            for q in questions]


def test_auto_is_vllm_only_where_it_can_run(monkeypatch):
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: object() if name == "vllm" else real_find_spec(name))
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_backend("auto") == "hf"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert resolve_backend("auto") == "vllm"
    assert resolve_backend("openai") == "openai" and resolve_backend("hf") == "hf"


def test_factory_builds_the_hf_backend_and_batching_keeps_greedy_results(model_dir):
    generator = make_generator(EvalConfig(backend="hf", batch_size=2), str(model_dir))
    assert isinstance(generator, HFGenerator)
    texts = prompts(generator.tokenizer, ["12+7", "a much longer question: 3*4-5+6", "9"])
    sampling = Sampling(temperature=0.0, max_new_tokens=5)
    batched = generator.generate(texts, sampling)
    alone = [generator.generate([t], sampling)[0] for t in texts]
    assert [c.text for c in batched] == [c.text for c in alone]
    assert all(c.tokens <= 5 and c.finish_reason in ("stop", "length") for c in batched)
    assert all(c.finish_reason == "stop" or c.tokens == 5 for c in batched)


def test_factory_builds_the_openai_backend_with_the_key_from_the_environment(model_dir, monkeypatch):
    monkeypatch.setenv("MY_KEY", "sk-secret")
    cfg = EvalConfig(backend="openai", base_url="http://127.0.0.1:8000/v1/", api_key_env="MY_KEY")
    generator = make_generator(cfg, str(model_dir))
    assert isinstance(generator, OpenAIGenerator)
    assert generator.client.base_url == "http://127.0.0.1:8000/v1" and generator.client.model == str(model_dir)
    assert generator.client._api_key == "sk-secret" and "sk-secret" not in repr(cfg.model_dump())
    named = make_generator(cfg.model_copy(update={"served_model": "served"}), str(model_dir))
    assert named.client.model == "served"
    assert generator.count_tokens("1+2") == len(generator.tokenizer("1+2", add_special_tokens=False)["input_ids"])


def test_openai_backend_needs_a_url_and_vllm_needs_vllm(model_dir, monkeypatch):
    with pytest.raises(ValueError, match="eval.base_url: missing"):
        EvalConfig(backend="openai")
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(UserError, match="vLLM is not installed"):
        make_generator(EvalConfig(backend="vllm"), str(model_dir))
    assert backends.resolve_backend("auto") == "hf"


def test_decode_drops_finished_rows_and_matches_generate(tmp_path):
    """Rows that stop leave the batch; the survivors' tokens are those of transformers' `generate`."""
    import torch

    from sftlab.evaluate.backends import decode, left_pad
    from sftlab.evaluate.benchmarks.base import Sampling
    from sftlab.models.presets import build_preset

    model, tok = build_preset("xs", seed=1)
    model.eval()
    prompts = ["countdown: 3 5 7 target 22", "path: ab1 bc2 from a to c", "signs: 1 2 3 target 0"]
    enc = [tok(p, add_special_tokens=False)["input_ids"] for p in prompts]
    ids, mask = left_pad(enc, tok.pad_token_id)
    width = ids.shape[1]
    assert mask.sum(1).tolist() == list(map(len, enc)) and ids[0, width - 1] == enc[0][-1]
    with torch.inference_mode():
        # stop on the token row 0 produces third, so rows finish at different steps
        probe = decode(model, ids, mask, Sampling(max_new_tokens=3), stop_ids=[tok.pad_token_id])
        stop = probe[0][2]
        ours = decode(model, ids, mask, Sampling(max_new_tokens=12), stop_ids=[stop])
        ref = model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=12, do_sample=False,
                             eos_token_id=[stop], pad_token_id=tok.pad_token_id)
    assert len(ours[0]) <= 3 and ours[0][-1] == stop
    for r in range(3):
        expected = ref[r, width:].tolist()
        expected = expected[: expected.index(stop) + 1] if stop in expected else expected
        assert ours[r] == expected


def test_sampled_decoding_is_reproducible_with_a_seed():
    import torch

    from sftlab.evaluate.backends import decode
    from sftlab.evaluate.benchmarks.base import Sampling
    from sftlab.models.presets import build_preset

    model, tok = build_preset("xs", seed=2)
    ids = torch.tensor([tok("countdown: 1 2 3 target 6", add_special_tokens=False)["input_ids"]] * 2)
    mask = torch.ones_like(ids)
    settings = Sampling(temperature=0.8, top_p=0.9, max_new_tokens=16)
    with torch.inference_mode():
        a = decode(model, ids, mask, settings, [tok.eos_token_id], torch.Generator().manual_seed(5))
        b = decode(model, ids, mask, settings, [tok.eos_token_id], torch.Generator().manual_seed(5))
        c = decode(model, ids, mask, settings, [tok.eos_token_id], torch.Generator().manual_seed(6))
    assert a == b and a != c
