"""Training throughput: sftlab's loop against TRL's SFTTrainer, and model FLOPs utilisation per preset.

Same tiny model (a preset, freshly initialised), same mini-lab Countdown SFT data, same global batch, micro-batch
and number of steps, completion-only loss in all. sftlab runs its default (packed rows with one causal sdpa call per
sample, `sftlab/train/packed_attention.py`) and, for reference, padded length-sorted micro-batches; TRL runs padded
and grouped by length, and padding-free. Prints real (non-padding) tokens per second and the final loss of each,
then MFU of sftlab's default loop for each preset against a measured fp32 matmul peak.
Writes only to a temporary directory. Needs `pip install trl` for the comparison.

Run: python benchmarks/train_throughput.py [--preset s] [--steps 25] [--threads 1] [--skip-trl]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import torch

from sftlab.config import DataConfig, TrainConfig
from sftlab.minilab.data import sft_records
from sftlab.models.presets import PRESETS, build_preset, parameter_count
from sftlab.train.loop import train


def matmul_peak(seconds: float = 2.0, n: int = 1024) -> float:
    """Measured fp32 FLOP/s of a square matmul on the threads in use."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    runs, began = 0, time.perf_counter()
    while time.perf_counter() - began < seconds:
        a @ b
        runs += 1
    return 2 * n**3 * runs / (time.perf_counter() - began)


def flops_per_token(model, mean_len: float) -> float:
    """6 N for the weights (forward and backward) plus the attention scores, 12 L d T / 2 with causality."""
    cfg = model.config
    # The tied embedding is counted once: as the output head's matmul (the input lookup costs nothing).
    return 6 * parameter_count(model) + 6 * cfg.num_hidden_layers * cfg.hidden_size * mean_len


def save_preset(name: str, where: Path) -> Path:
    model, tok = build_preset(name, seed=0)
    model.save_pretrained(where)
    tok.save_pretrained(where)
    return where


def run_sftlab(model_dir: Path, records: list[dict], cfg: TrainConfig, out: Path) -> dict:
    began = time.perf_counter()
    result = train(cfg, records, str(model_dir), out)
    wall = time.perf_counter() - began
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    tokens, seconds = sum(r["tokens"] for r in rows), sum(r["seconds"] for r in rows)
    return {"tokens_per_s": tokens / seconds, "final_loss": result.final_loss, "wall_s": wall, "tokens": tokens,
            "mean_len": tokens / (len(rows) * cfg.global_batch)}


def run_trl(model_dir: Path, records: list[dict], cfg: TrainConfig, out: Path, padding_free: bool) -> dict:
    from datasets import Dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer, TrainerCallback
    from trl import SFTConfig, SFTTrainer

    data = Dataset.from_list([{"prompt": r["messages"], "completion": [{"role": "assistant", "content": r["response"]}]}
                              for r in records])
    tok = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir, attn_implementation="sdpa")
    args = SFTConfig(
        output_dir=str(out), max_steps=cfg.steps, per_device_train_batch_size=cfg.micro_batch,
        gradient_accumulation_steps=cfg.global_batch // cfg.micro_batch, learning_rate=cfg.lr,
        lr_scheduler_type="cosine", warmup_steps=round(cfg.warmup_ratio * cfg.steps), adam_beta2=cfg.betas[1], weight_decay=0.0,
        max_grad_norm=cfg.grad_clip, completion_only_loss=True, padding_free=padding_free,
        # TRL refuses max_length with padding-free rows unless packing; the mini-lab samples are all shorter.
        max_length=None if padding_free else cfg.max_length,
        train_sampling_strategy="group_by_length" if not padding_free else "random", logging_steps=1, save_strategy="no", report_to=[], use_cpu=True,
        dataloader_num_workers=0, seed=0, bf16=False,
    )

    class Timer(TrainerCallback):
        def __init__(self):
            self.began = None
            self.seconds = 0.0

        def on_step_begin(self, *a, **k):
            self.began = time.perf_counter()

        def on_step_end(self, *a, **k):
            self.seconds += time.perf_counter() - self.began

    timer = Timer()
    trainer = SFTTrainer(model=model, args=args, train_dataset=data, processing_class=tok, callbacks=[timer])
    counted = {"tokens": 0}
    collate = trainer.data_collator

    def counting(features):  # real tokens, whatever the layout (padded or one packed row)
        batch = collate(features)
        mask = batch.get("attention_mask")
        counted["tokens"] += int(batch["input_ids"].numel() if mask is None else mask.sum())
        return batch

    trainer.data_collator = counting
    trainer.train()
    losses = [h["loss"] for h in trainer.state.log_history if "loss" in h]
    return {"tokens_per_s": counted["tokens"] / timer.seconds, "final_loss": losses[-1], "tokens": counted["tokens"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="s")
    parser.add_argument("--steps", type=int, default=25)
    parser.add_argument("--global-batch", type=int, default=64)
    parser.add_argument("--micro-batch", type=int, default=16)
    parser.add_argument("--threads", type=int, default=1, help="intra-op threads for every run (cores are shared)")
    parser.add_argument("--mfu-presets", default="xs,s,m,l")
    parser.add_argument("--mfu-steps", type=int, default=8)
    parser.add_argument("--skip-trl", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    records = sft_records(DataConfig(samples=2000), seed=0)
    cfg = TrainConfig(steps=args.steps, global_batch=args.global_batch, micro_batch=args.micro_batch, lr=3e-4,
                      warmup_ratio=0.1, max_length=512, save_every=10_000)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        model_dir = save_preset(args.preset, tmp / "model")
        print(f"preset {args.preset}, {args.steps} steps x {args.global_batch} samples, {args.threads} thread(s)")
        ours = run_sftlab(model_dir, records, cfg, tmp / "sftlab")
        print(f"sftlab packed        {ours['tokens_per_s']:9,.0f} tok/s   final loss {ours['final_loss']:.4f}")
        padded = run_sftlab(model_dir, records, cfg.model_copy(update={"packing": "off"}), tmp / "sftlab-padded")
        print(f"sftlab padded        {padded['tokens_per_s']:9,.0f} tok/s   final loss {padded['final_loss']:.4f}   "
              f"packed/padded {ours['tokens_per_s'] / padded['tokens_per_s']:.2f}x")
        if not args.skip_trl:
            for free in (False, True):
                trl = run_trl(model_dir, records, cfg, tmp / f"trl-{free}", padding_free=free)
                name = "TRL padding-free" if free else "TRL padded+grouped"
                print(f"{name:20} {trl['tokens_per_s']:9,.0f} tok/s   final loss {trl['final_loss']:.4f}   "
                      f"sftlab/TRL {ours['tokens_per_s'] / trl['tokens_per_s']:.2f}x")
        peak = matmul_peak()
        print(f"\nmeasured fp32 matmul peak: {peak / 1e9:.1f} GFLOP/s on {args.threads} thread(s)")
        for name in args.mfu_presets.split(","):
            if name not in PRESETS:
                continue
            preset_dir = save_preset(name, tmp / f"mfu-{name}")
            run = run_sftlab(preset_dir, records, cfg.model_copy(update={"steps": args.mfu_steps}), tmp / f"run-{name}")
            model, _ = build_preset(name)
            achieved = run["tokens_per_s"] * flops_per_token(model, run["mean_len"])
            print(f"preset {name:2} {parameter_count(model) / 1e6:5.2f}M params  {run['tokens_per_s']:8,.0f} tok/s  "
                  f"MFU {100 * achieved / peak:5.1f}%")


if __name__ == "__main__":
    main()
