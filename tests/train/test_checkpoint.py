"""Checkpoints: HF format that plain transformers loads with identical logits; complete or absent; pruning."""

import json

import pytest
import torch
from accelerate import Accelerator
from transformers import AutoModelForCausalLM, AutoTokenizer

from sftlab.models.presets import load_model
from sftlab.train import checkpoint as ckpt

IDS = torch.tensor([[1, 100, 68, 5, 8, 67, 59, 2, 68, 1, 101, 68, 3, 59]])


def save(model_dir, checkpoints, step=3, keep_resume=True, model=None):
    acc = Accelerator(cpu=True)
    net, tok = load_model(model_dir)
    net = acc.prepare(model if model is not None else net)
    return net, ckpt.save_checkpoint(acc, net, tok, checkpoints, step, {"step": step}, keep_resume=keep_resume)


def test_reload_gives_identical_logits_with_plain_transformers(model_dir, tmp_path):
    model, where = save(model_dir, tmp_path / "checkpoints")
    assert where.name == "step-000003"
    reloaded = AutoModelForCausalLM.from_pretrained(where)
    tok = AutoTokenizer.from_pretrained(where)
    with torch.no_grad():
        assert torch.equal(model(IDS).logits, reloaded(IDS).logits)
    msgs = [{"role": "user", "content": "hi"}]
    assert tok.apply_chat_template(msgs, add_generation_prompt=True, tokenize=False) == (
        "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n")
    assert json.loads((where / ckpt.STATE_FILE).read_text()) == {"version": ckpt.STATE_VERSION, "step": 3}
    assert (where / ckpt.RESUME_DIR).is_dir()


def test_a_checkpoint_directory_exists_only_when_complete(qwen_dir, tmp_path, monkeypatch):
    checkpoints = tmp_path / "checkpoints"
    acc = Accelerator(cpu=True)
    net, tok = load_model(qwen_dir)

    def crash(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(tok, "save_pretrained", crash)
    with pytest.raises(RuntimeError):
        ckpt.save_checkpoint(acc, net, tok, checkpoints, 5, {"step": 5}, keep_resume=False)
    assert [d.name for d in checkpoints.iterdir()] == ["step-000005.tmp"]
    assert ckpt.list_checkpoints(checkpoints) == [] and ckpt.latest_resumable(checkpoints) is None
    monkeypatch.undo()
    ckpt.save_checkpoint(acc, net, tok, checkpoints, 5, {"step": 5}, keep_resume=False)
    assert [d.name for d in checkpoints.iterdir()] == ["step-000005"]


def fake_checkpoints(root, steps):
    for s in steps:
        (ckpt.step_dir(root, s) / ckpt.RESUME_DIR).mkdir(parents=True)


@pytest.mark.parametrize("keep, every, newest_needed, kept", [
    ("last", None, True, [40]),
    ("last", None, False, []),
    ("last", 20, True, [20, 40]),
    ("last", 20, False, [20, 40]),
    ("none", None, True, []),
    ("all", None, False, [10, 20, 30, 40]),
])
def test_resume_states_are_pruned(tmp_path, keep, every, newest_needed, kept):
    fake_checkpoints(tmp_path, [10, 20, 30, 40])
    ckpt.prune_resume_states(tmp_path, keep, every, newest_needed)
    assert [s for s, d in ckpt.list_checkpoints(tmp_path) if (d / ckpt.RESUME_DIR).exists()] == kept
    assert ckpt.latest_resumable(tmp_path) == ((kept[-1], ckpt.step_dir(tmp_path, kept[-1])) if kept else None)


def test_lora_checkpoint_is_merged_into_plain_weights(qwen_dir, tmp_path):
    peft = pytest.importorskip("peft")
    net, _ = load_model(qwen_dir)
    lora = peft.get_peft_model(net, peft.LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "down_proj"]))
    for name, p in lora.named_parameters():
        if "lora_B" in name:  # B starts at zero; make the update visible
            torch.nn.init.normal_(p, std=0.5)
    model, where = save(qwen_dir, tmp_path / "checkpoints", keep_resume=False, model=lora)
    reloaded = AutoModelForCausalLM.from_pretrained(where)
    assert not (where / "adapter_config.json").exists()
    with torch.no_grad():
        torch.testing.assert_close(reloaded(IDS).logits, model(IDS).logits, rtol=1e-5, atol=1e-5)
        # ...and the merged update is really there: the base model's logits differ.
        assert not torch.allclose(reloaded(IDS).logits, load_model(qwen_dir)[0](IDS).logits, atol=1e-3)
