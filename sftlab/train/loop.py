"""The SFT training loop on `accelerate`: one `train()`, read top to bottom.

Reads the training records and an initial model; writes `checkpoints/step-NNNNNN/` every
`save_every` steps and at the end, one line per optimizer step to `metrics.jsonl`, and, when asked,
TensorBoard / Weights & Biases logs through accelerate's trackers (under `run_dir`).
The same code runs on one CPU and, under `accelerate launch`, on many processes (DDP, FSDP, DeepSpeed;
gloo on CPUs).

Loss modes (`train.loss`):
- `token_mean` (default): every response token of the optimizer step weighs the same, over all
  micro-batches and processes, so the result does not depend on how the step is split.
- `microbatch_mean`: the study's own trainer; each micro-batch is token-averaged, the micro-batch
  gradients are summed on a process and averaged across processes. Short micro-batches then weigh as
  much as long ones, and the gradient scales with the number of micro-batches per process.
The logged `loss` is the token mean in both modes, so curves of the two modes can be compared.
"""

from __future__ import annotations

import json
import logging
import math
import random
import time
from contextlib import nullcontext
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import torch
from accelerate import Accelerator
from accelerate.utils import DistributedType, set_seed
from tqdm.auto import tqdm

from sftlab.config import TrainConfig
from sftlab.errors import UserError
from sftlab.io import append_jsonl, atomic_write_jsonl
from sftlab.models.presets import flash_attention_available, load_model
from sftlab.train import checkpoint as ckpt
from sftlab.train.batching import Example, encode_all, pack_batch, pad_batch, supervised_tokens
from sftlab.train.packed_attention import PACKED_ATTENTION, packable
from sftlab.train.schedule import lr_factor

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainResult:
    steps: int
    final_loss: float
    tokens_per_s: float  # median over the run's steps
    final_checkpoint: Path


def total_steps(cfg: TrainConfig, samples: int) -> int:
    """`train.steps` when set (a fixed budget), else enough steps for `train.epochs` passes."""
    return cfg.steps or max(1, math.ceil(cfg.epochs * samples / cfg.global_batch))


@lru_cache(maxsize=4)
def epoch_order(epoch: int, samples: int, shuffle: bool, seed: int) -> tuple[int, ...]:
    """The sample order of one epoch: a seeded permutation, or the file's order."""
    order = list(range(samples))
    if shuffle:
        random.Random(seed * 100_003 + epoch).shuffle(order)
    return tuple(order)


def step_indices(step: int, cfg: TrainConfig, samples: int, seed: int) -> list[int]:
    """The samples of optimizer step `step`: a pure function of (step, seed), so resume needs no data state.

    Epochs are concatenated, so a step may span the end of one epoch and the start of the next.
    """
    out = []
    for pos in range(step * cfg.global_batch, (step + 1) * cfg.global_batch):
        epoch, offset = divmod(pos, samples)
        out.append(epoch_order(epoch, samples, cfg.shuffle, seed)[offset])
    return out


def micro_batches(examples: list[Example], size: int) -> list[list[Example]]:
    """Length-sorted chunks: similar lengths share a batch, so padding is small.

    The token-mean loss does not depend on how a step is split, so sorting changes speed, not results.
    """
    ordered = sorted(examples, key=lambda e: len(e.input_ids))
    return [ordered[i : i + size] for i in range(0, len(ordered), size)]


def use_packing(cfg: TrainConfig, model) -> bool:
    """Whether micro-batches are packed rows, switching the model to our packed sdpa where that is what runs them.

    Flash-attention varlen and `packed_attention` keep each sample's attention to itself at the cost of the
    samples alone. Without either (sliding-window or soft-capped models on a machine without flash-attn),
    transformers builds a block-diagonal mask over the row, which is slower than padding: only `on` packs then.
    """
    if cfg.packing == "off":
        return False
    if getattr(model.config, "_attn_implementation", "") == "flash_attention_2":
        return True
    if packable(model):
        model.set_attn_implementation(PACKED_ATTENTION)
        return True
    return cfg.packing == "on"


def collate(batch: list[Example], packed: bool, pad_id: int) -> dict[str, torch.Tensor]:
    return pack_batch(batch) if packed else pad_batch(batch, pad_id)


def real_tokens(batch: dict[str, torch.Tensor]) -> int:
    mask = batch.get("attention_mask")
    return int(batch["input_ids"].numel() if mask is None else mask.sum())


def prepare_model(init_model: str, cfg: TrainConfig):
    """The model to train and its tokenizer: flash-attention where it runs, checkpointing, LoRA."""
    # A run's step 0 may be a reference to the model it starts from rather than a copy of it.
    source = ckpt.model_source(Path(init_model)) if Path(init_model).is_dir() else init_model
    model, tokenizer = load_model(source, attn_implementation="flash_attention_2" if flash_attention_available() else None)
    if cfg.gradient_checkpointing:
        # Non-reentrant checkpointing works with DDP's no_sync and with frozen (LoRA) base weights.
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        model.config.use_cache = False
    if cfg.lora_r:
        try:
            from peft import LoraConfig, get_peft_model
        except ImportError:
            raise UserError("train.lora_r > 0 needs peft: pip install peft") from None
        lora = LoraConfig(r=cfg.lora_r, lora_alpha=cfg.lora_alpha, lora_dropout=cfg.lora_dropout,
                          target_modules=cfg.lora_targets, task_type="CAUSAL_LM")
        model = get_peft_model(model, lora)
    return model, tokenizer


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


def _start_step(accelerator: Accelerator, checkpoints: Path, metrics_path: Path, resume: bool, desc: str) -> int:
    """0 for a fresh run; for a resumed one, the step of the last complete checkpoint with a resume state."""
    if not resume:
        if any(step > 0 for step, _ in ckpt.list_checkpoints(checkpoints)):
            raise UserError(f"{checkpoints}: this run already has checkpoints; pass --resume or choose a new run name")
        return 0
    found = ckpt.latest_resumable(checkpoints)
    if found is None:
        raise UserError(f"{checkpoints}: nothing to resume from (no checkpoint with a resume state)")
    start, where = found
    accelerator.load_state(str(where / ckpt.RESUME_DIR))
    log.info("%s: resumed from %s", desc, where)
    if accelerator.is_main_process:
        _metrics_upto(metrics_path, start)
    accelerator.wait_for_everyone()
    return start


def run_step(accelerator: Accelerator, model, batches: list[dict], cfg: TrainConfig) -> tuple[float, int]:
    """Forward and backward over one optimizer step's micro-batches on this process.

    Returns the step's token-mean loss over all processes and its supervised token count.
    """
    world = accelerator.num_processes
    local = [float(supervised_tokens(b["labels"])) for b in batches]
    total = accelerator.reduce(torch.tensor(sum(local), device=accelerator.device), "sum").item()
    # DeepSpeed divides every loss by its accumulation count; undo it so both loss modes keep their meaning.
    undo = len(batches) if accelerator.distributed_type == DistributedType.DEEPSPEED else 1
    loss_sum = torch.zeros((), device=accelerator.device)
    for k, batch in enumerate(batches):
        batch = {name: t.to(accelerator.device) for name, t in batch.items()}
        if cfg.loss == "token_mean":
            # Each token weighs 1/total over the step and all processes; DDP and FSDP average the
            # processes' gradients, hence the factor `world`.
            divisor = total / world
        else:
            divisor = max(local[k], 1.0)
        sync = k == len(batches) - 1
        with nullcontext() if sync else accelerator.no_sync(model):
            # No KV cache in training; without one, transformers reads packed rows from position_ids.
            out = model(**batch, use_cache=False, num_items_in_batch=torch.tensor(divisor, device=accelerator.device))
            accelerator.backward(out.loss * undo)
        loss_sum += out.loss.detach().float() * divisor
    # Each micro-batch's loss times its divisor is its sum of token losses, whichever the mode.
    return accelerator.reduce(loss_sum, "sum").item() / max(total, 1.0), int(total)


def metrics_row(step: int, loss: float, lr: float, grad_norm, tokens: int, supervised: int, seconds: float,
                epoch: float, batch: int) -> dict:
    """One line of metrics.jsonl; `tokens` are real (non-padding) tokens of all processes."""
    return {"step": step, "loss": round(loss, 6), "lr": lr,
            "grad_norm": None if grad_norm is None else round(float(grad_norm), 6),
            "tokens": tokens, "response_tokens": supervised, "tokens_per_s": round(tokens / seconds, 1),
            "mean_response_tokens": round(supervised / batch, 2), "epoch": round(epoch, 4), "seconds": round(seconds, 4)}


def _keep_resume(cfg: TrainConfig, step: int, steps: int) -> bool:
    """Whether this checkpoint is written with its optimizer state (the newest always is, until the end)."""
    if cfg.keep_optimizer == "none":
        return False
    every = cfg.keep_optimizer_every
    return step < steps or cfg.keep_optimizer == "all" or bool(every and step % every == 0)


def _save(accelerator, model, tokenizer, checkpoints: Path, state: dict, cfg: TrainConfig, steps: int) -> None:
    step = state["step"]
    ckpt.save_checkpoint(accelerator, model, tokenizer, checkpoints, step, state,
                         keep_resume=_keep_resume(cfg, step, steps))
    if accelerator.is_main_process:
        ckpt.prune_resume_states(checkpoints, cfg.keep_optimizer, cfg.keep_optimizer_every, newest_needed=step < steps)


def _accelerator(cfg: TrainConfig, run_dir: Path) -> Accelerator:
    return Accelerator(
        cpu=not torch.cuda.is_available(),
        mixed_precision="bf16" if cfg.bf16 else "no",
        log_with=list(cfg.trackers) or None,
        project_dir=str(run_dir),
    )


def train(
    cfg: TrainConfig,
    records: list[dict],
    init_model: str,
    run_dir: Path,
    seed: int = 0,
    resume: bool = False,
    desc: str = "sft",
) -> TrainResult:
    """Fine-tune `init_model` on `records` ({"messages", "response"} dicts); see the module docstring."""
    checkpoints, metrics_path = run_dir / "checkpoints", run_dir / "metrics.jsonl"
    run_dir.mkdir(parents=True, exist_ok=True)
    model, tokenizer = prepare_model(init_model, cfg)
    examples, notes = encode_all(tokenizer, records, cfg.max_length)
    log.info("%s: %d samples; truncated at %d tokens: %d; dropped (no response left): %d", desc, len(records),
             cfg.max_length, notes["truncated"], notes["response cut entirely"])
    if not examples:
        raise UserError(f"{desc}: no training samples left after truncation to {cfg.max_length} tokens")
    steps = total_steps(cfg, len(examples))
    accelerator = _accelerator(cfg, run_dir)
    world = accelerator.num_processes
    if cfg.global_batch % (cfg.micro_batch * world):
        raise UserError(f"train.global_batch ({cfg.global_batch}) must be a multiple of "
                        f"train.micro_batch x processes ({cfg.micro_batch} x {world})")
    if accelerator.distributed_type == DistributedType.DEEPSPEED:
        # DeepSpeed's engine steps once per accumulation window. Every other backend accumulates by hand
        # with no_sync, and must keep accelerate's count at 1, or `backward` would divide the loss by it.
        accelerator.gradient_accumulation_steps = cfg.global_batch // (cfg.micro_batch * world)
    set_seed(seed)
    packed = use_packing(cfg, model)
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=cfg.lr, betas=cfg.betas, weight_decay=cfg.weight_decay)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: lr_factor(s, steps, cfg))
    # The scheduler is not prepared: accelerate would step it once per process, since it expects each
    # process to see its own share of the steps. Registered, it is still saved and restored with the rest.
    model, optimizer = accelerator.prepare(model, optimizer)
    accelerator.register_for_checkpointing(scheduler)
    start = _start_step(accelerator, checkpoints, metrics_path, resume, desc)
    if cfg.trackers:
        accelerator.init_trackers(desc, config={k: str(v) for k, v in cfg.model_dump().items()})
    order = {"shuffle": cfg.shuffle, "seed": seed, "samples": len(examples)}
    log.info("%s: %d steps of %d samples, %s micro-batches of %d, data order %s", desc, steps, cfg.global_batch,
             "packed" if packed else "padded", cfg.micro_batch, order)

    rates: list[float] = []
    loss = float("nan")
    bar = tqdm(range(start, steps), desc=desc, initial=start, total=steps, disable=not accelerator.is_main_process)
    for step in bar:
        began = time.perf_counter()
        model.train()
        indices = step_indices(step, cfg, len(examples), seed)
        share = len(indices) // accelerator.num_processes
        mine = [examples[i] for i in indices[accelerator.process_index * share :][:share]]
        batches = [collate(mb, packed, tokenizer.pad_token_id) for mb in micro_batches(mine, cfg.micro_batch)]
        loss, supervised = run_step(accelerator, model, batches, cfg)
        grad_norm = accelerator.clip_grad_norm_(model.parameters(), cfg.grad_clip) if cfg.grad_clip > 0 else None
        lr = scheduler.get_last_lr()[0]
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        seconds = time.perf_counter() - began
        tokens = accelerator.reduce(torch.tensor(float(sum(real_tokens(b) for b in batches)),
                                                 device=accelerator.device), "sum").item()
        rates.append(tokens / seconds)
        done = step + 1
        row = metrics_row(done, loss, lr, grad_norm, int(tokens), supervised, seconds,
                          done * cfg.global_batch / len(examples), cfg.global_batch)
        if accelerator.is_main_process:
            append_jsonl(metrics_path, row)
            bar.set_postfix(loss=f"{loss:.3f}", lr=f"{lr:.1e}", tok_s=f"{tokens / seconds:,.0f}")
        if cfg.trackers:
            accelerator.log({k: v for k, v in row.items() if v is not None and k != "step"}, step=done)
        if done % cfg.save_every == 0 or done == steps:
            state = {"step": done, "epoch": done * cfg.global_batch / len(examples), "lr": lr, "total_steps": steps,
                     "loss": loss, "data_order": order, "packed": packed, "loss_mode": cfg.loss}
            _save(accelerator, model, tokenizer, checkpoints, state, cfg, steps)
    bar.close()
    if cfg.trackers:
        accelerator.end_training()
    rates.sort()
    return TrainResult(steps, loss, rates[len(rates) // 2] if rates else 0.0, ckpt.step_dir(checkpoints, steps))
