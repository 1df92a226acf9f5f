"""The loop's data order, step budget, per-step metrics, trackers and LoRA, on tiny runs."""

import json

import pytest
from transformers import AutoModelForCausalLM

from sftlab.config import TrainConfig
from sftlab.train.loop import step_indices, total_steps, train

from tiny_models import make_records


def test_data_order_is_a_seeded_permutation_per_epoch():
    cfg = TrainConfig(global_batch=4, micro_batch=4)
    order = [i for step in range(5) for i in step_indices(step, cfg, 10, seed=7)]
    assert sorted(order[:10]) == list(range(10)) and sorted(order[10:20]) == list(range(10))
    assert order[:10] != order[10:20] != list(range(10))  # a fresh shuffle each epoch
    assert order == [i for step in range(5) for i in step_indices(step, cfg, 10, seed=7)]
    assert order != [i for step in range(5) for i in step_indices(step, cfg, 10, seed=8)]
    in_file_order = TrainConfig(global_batch=4, micro_batch=4, shuffle=False)
    assert [i for s in range(3) for i in step_indices(s, in_file_order, 5, seed=7)] == [0, 1, 2, 3, 4] * 2 + [0, 1]


def test_budget_in_steps_or_epochs():
    assert total_steps(TrainConfig(global_batch=256, micro_batch=32, epochs=8), 20_000) == 625
    assert total_steps(TrainConfig(global_batch=256, micro_batch=32, steps=640), 20_000) == 640
    assert total_steps(TrainConfig(global_batch=32, micro_batch=32, epochs=1), 20_000) == 625


def test_lora_run_with_tensorboard(qwen_dir, tmp_path):
    pytest.importorskip("peft")
    pytest.importorskip("tensorboard")
    cfg = TrainConfig(steps=3, global_batch=4, micro_batch=2, save_every=2, lr=1e-2, lora_r=4,
                      lora_targets=["q_proj", "v_proj"], trackers=["tensorboard"], max_length=40)
    result = train(cfg, make_records(12), str(qwen_dir), tmp_path)
    rows = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [1, 2, 3]
    assert set(rows[0]) >= {"loss", "lr", "grad_norm", "tokens", "tokens_per_s", "mean_response_tokens", "seconds"}
    assert rows[0]["tokens"] <= 4 * 40 and rows[0]["mean_response_tokens"] == rows[0]["response_tokens"] / 4
    assert list(tmp_path.rglob("events.out.tfevents.*"))
    state = json.loads((result.final_checkpoint / "trainer_state.json").read_text())
    assert state["step"] == 3 and state["data_order"] == {"shuffle": True, "seed": 0, "samples": 12}
    # The LoRA run's checkpoints are whole models that plain transformers loads.
    merged = AutoModelForCausalLM.from_pretrained(result.final_checkpoint)
    base = AutoModelForCausalLM.from_pretrained(qwen_dir)
    changed = [n for n, p in merged.named_parameters() if not (p == base.get_parameter(n)).all()]
    assert changed and all("q_proj" in n or "v_proj" in n for n in changed)


def test_bf16_autocast_on_cpu_keeps_fp32_weights(qwen_dir, tmp_path):
    """train.bf16 on a CPU: matmuls run in bf16 under autocast, weights and optimizer stay fp32, loss stays close."""
    import torch
    from accelerate.state import AcceleratorState

    from sftlab.models.presets import load_model
    from sftlab.train.batching import encode_all, pad_batch
    from sftlab.train.loop import _accelerator, run_step

    seen, losses = [], {}
    for bf16 in (False, True):
        model, tok = load_model(qwen_dir)  # one model and one precision per process, as in a real run
        batch = pad_batch(encode_all(tok, make_records(4), 512)[0], tok.pad_token_id)
        model.model.layers[0].mlp.down_proj.register_forward_hook(lambda m, i, out: seen.append(out.dtype))
        AcceleratorState._reset_state(reset_partial_state=True)
        try:
            accelerator = _accelerator(TrainConfig(bf16=bf16), tmp_path)
            prepared = accelerator.prepare(model)
            losses[bf16], _ = run_step(accelerator, prepared, [batch], TrainConfig(bf16=bf16))
        finally:
            AcceleratorState._reset_state(reset_partial_state=True)
    assert seen == [torch.float32, torch.bfloat16]
    assert all(p.dtype == torch.float32 and p.grad.dtype == torch.float32 for p in model.parameters())
    assert losses[True] == pytest.approx(losses[False], rel=2e-2) and losses[True] != losses[False]



def test_wandb_tracker_logs_every_step_offline(qwen_dir, tmp_path, monkeypatch):
    pytest.importorskip("wandb")
    monkeypatch.setenv("WANDB_MODE", "offline")  # no account, no network: the run is written under WANDB_DIR
    monkeypatch.setenv("WANDB_DIR", str(tmp_path))
    monkeypatch.setenv("WANDB_SILENT", "true")
    cfg = TrainConfig(steps=3, global_batch=4, micro_batch=2, save_every=3, trackers=["wandb"], max_length=40)
    train(cfg, make_records(12), str(qwen_dir), tmp_path / "run")
    [record] = tmp_path.glob("wandb/offline-run-*/run-*.wandb")
    # The run log is protobuf records; every step's history record names each metric once.
    log = record.read_bytes()
    for key in (b"loss", b"grad_norm", b"tokens_per_s", b"mean_response_tokens", b"seconds"):
        assert log.count(key) >= cfg.steps, key
