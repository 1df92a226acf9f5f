"""The SFT training loop on `accelerate`: one `train()`, read top to bottom.

Reads the training records and an initial model; writes `checkpoints/step-NNNNNN/` every
`save_every` steps and at the end, and one line per optimizer step to `metrics.jsonl`.
The same code runs on one CPU and, under `accelerate launch`, on many GPUs (DDP, FSDP, DeepSpeed).
"""

from __future__ import annotations

import json
import logging
import math
import random
import time
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

import torch
from accelerate import Accelerator
from accelerate.utils import set_seed
from tqdm.auto import tqdm

from sftlab.config import TrainConfig
from sftlab.errors import UserError
from sftlab.io import append_jsonl, atomic_write_jsonl
from sftlab.models.presets import load_model
from sftlab.train import checkpoint as ckpt
from sftlab.train.batching import Example, encode_all, pad_batch, supervised_tokens
from sftlab.train.schedule import lr_factor

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainResult:
    steps: int
    final_loss: float
    tokens_per_s: float  # median over the run's steps
    final_checkpoint: Path


def total_steps(cfg: TrainConfig, samples: int) -> int:
    return cfg.steps or max(1, math.ceil(cfg.epochs * samples / cfg.global_batch))


def step_indices(step: int, cfg: TrainConfig, samples: int, seed: int) -> list[int]:
    """The samples of optimizer step `step`: a pure function of (step, seed), so resume needs no data state.

    Epochs are concatenated; each is a fresh seeded permutation (or the file's order when shuffle is off).
    """
    out = []
    for pos in range(step * cfg.global_batch, (step + 1) * cfg.global_batch):
        epoch, offset = divmod(pos, samples)
        order = list(range(samples))
        if cfg.shuffle:
            random.Random(seed * 100_003 + epoch).shuffle(order)
        out.append(order[offset])
    return out


def micro_batches(examples: list[Example], size: int) -> list[list[Example]]:
    """Length-sorted chunks: similar lengths share a batch, so padding is small.

    The token-mean loss does not depend on how a step is split, so sorting changes speed, not results.
    """
    ordered = sorted(examples, key=lambda e: len(e.input_ids))
    return [ordered[i : i + size] for i in range(0, len(ordered), size)]


def _metrics_upto(path: Path, step: int) -> None:
    """After a crash, keep only the metrics of steps the resumed checkpoint contains."""
    if not path.exists():
        return
    kept = []
    for line in path.read_text().splitlines():
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue  # a torn last line from the crash
        if row["step"] <= step:
            kept.append(row)
    atomic_write_jsonl(path, kept)


def train(
    cfg: TrainConfig,
    records: list[dict],
    init_model: str,
    run_dir: Path,
    seed: int = 0,
    resume: bool = False,
    desc: str = "sft",
) -> TrainResult:
    accelerator = Accelerator(cpu=not torch.cuda.is_available(), mixed_precision="bf16" if cfg.bf16 else "no")
    set_seed(seed)
    checkpoints = run_dir / "checkpoints"
    metrics_path = run_dir / "metrics.jsonl"

    model, tokenizer = load_model(init_model)
    if cfg.gradient_checkpointing:
        model.gradient_checkpointing_enable()
    examples, notes = encode_all(tokenizer, records, cfg.max_length)
    if notes:
        log.info("%s: %s of %d samples over %d tokens (%s)", desc, dict(notes), len(records), cfg.max_length,
                 "truncated on the right; samples with no response left are dropped")
    if not examples:
        raise UserError(f"{desc}: no training samples left after truncation to {cfg.max_length} tokens")
    steps = total_steps(cfg, len(examples))
    world = accelerator.num_processes
    if cfg.global_batch % (cfg.micro_batch * world):
        raise UserError(f"train.global_batch ({cfg.global_batch}) must be a multiple of "
                        f"train.micro_batch x processes ({cfg.micro_batch} x {world})")

    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, betas=cfg.betas, weight_decay=cfg.weight_decay)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: lr_factor(s, steps, cfg))
    model, optimizer, scheduler = accelerator.prepare(model, optimizer, scheduler)

    start = 0
    if resume:
        found = ckpt.latest_resumable(checkpoints)
        if found is None:
            raise UserError(f"{checkpoints}: nothing to resume from (no checkpoint with a resume state)")
        start, where = found
        accelerator.load_state(str(where / ckpt.RESUME_DIR))
        log.info("%s: resumed from %s", desc, where)
        if accelerator.is_main_process:
            _metrics_upto(metrics_path, start)
    elif any(step > 0 for step, _ in ckpt.list_checkpoints(checkpoints)):
        raise UserError(f"{checkpoints}: this run already has checkpoints; pass --resume or choose a new run name")

    rates: list[float] = []
    loss_value = float("nan")
    bar = tqdm(range(start, steps), desc=desc, initial=start, total=steps, disable=not accelerator.is_main_process)
    for step in bar:
        began = time.perf_counter()
        model.train()
        indices = step_indices(step, cfg, len(examples), seed)
        per_process = len(indices) // world
        mine = [examples[i] for i in indices[accelerator.process_index * per_process :][:per_process]]
        batches = [pad_batch(mb, tokenizer.pad_token_id) for mb in micro_batches(mine, cfg.micro_batch)]
        local = torch.tensor([float(supervised_tokens(b["labels"])) for b in batches])
        total = accelerator.reduce(local.sum().to(accelerator.device), "sum").item()
        loss_sum = torch.zeros((), device=accelerator.device)
        for k, batch in enumerate(batches):
            batch = {name: t.to(accelerator.device) for name, t in batch.items()}
            if cfg.loss == "token_mean":
                # Each token weighs 1/total over the whole step and all processes; DDP averages the
                # processes' gradients, hence the factor `world`.
                divisor = torch.tensor(total / world)
            else:
                # The reference trainer: each micro-batch's own token mean, summed over the micro-batches.
                divisor = torch.tensor(max(local[k].item(), 1.0))
            sync = k == len(batches) - 1
            with accelerator.no_sync(model) if not sync else nullcontext():
                out = model(**batch, num_items_in_batch=divisor.to(accelerator.device))
                accelerator.backward(out.loss)
            loss_sum += out.loss.detach() * divisor.to(accelerator.device)
        grad_norm = accelerator.clip_grad_norm_(model.parameters(), cfg.grad_clip) if cfg.grad_clip > 0 else None
        lr = scheduler.get_last_lr()[0]
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)

        loss_value = accelerator.reduce(loss_sum, "sum").item() / max(total, 1)
        seconds = time.perf_counter() - began
        tokens = accelerator.reduce(
            torch.tensor(float(sum(int(b["input_ids"].numel()) for b in batches)), device=accelerator.device), "sum"
        ).item()
        rates.append(tokens / seconds)
        done = step + 1
        if accelerator.is_main_process:
            append_jsonl(metrics_path, {
                "step": done, "loss": round(loss_value, 6), "lr": lr,
                "grad_norm": None if grad_norm is None else round(float(grad_norm), 6),
                "tokens": int(tokens), "response_tokens": int(total), "tokens_per_s": round(tokens / seconds, 1),
                "mean_response_tokens": round(total / cfg.global_batch, 2),
                "epoch": round(done * cfg.global_batch / len(examples), 4), "seconds": round(seconds, 4),
            })
            bar.set_postfix(loss=f"{loss_value:.3f}", lr=f"{lr:.1e}", tok_s=f"{tokens / seconds:,.0f}")
        if done % cfg.save_every == 0 or done == steps:
            state = {"step": done, "epoch": done * cfg.global_batch / len(examples), "lr": lr,
                     "total_steps": steps, "seed": seed, "samples": len(examples), "loss": loss_value}
            keep = cfg.keep_optimizer != "none" and done < steps
            ckpt.save_checkpoint(accelerator, model, tokenizer, checkpoints, done, state, keep_resume=keep)
            if accelerator.is_main_process:
                finished = done == steps and cfg.keep_optimizer != "all"
                ckpt.prune_resume_states(checkpoints, "none" if finished else cfg.keep_optimizer)
    bar.close()
    rates.sort()
    return TrainResult(steps, loss_value, rates[len(rates) // 2] if rates else 0.0, ckpt.step_dir(checkpoints, steps))

