"""Base-model pre-training for the mini-lab, cached by a hash of everything that determines the result.

Writes `runs/_base/<preset>-<hash>/` (the training records, checkpoints, metrics.jsonl); the base model
is its final checkpoint. A killed pre-training resumes from its last checkpoint on the next call.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

from sftlab.config import ModelConfig, PretrainConfig, TrainConfig
from sftlab.minilab.data import pretrain_records
from sftlab.models.presets import build_preset
from sftlab.train import checkpoint as ckpt
from sftlab.train.batching import encode
from sftlab.train.loop import train

log = logging.getLogger(__name__)
DATA_VERSION = 3  # bump when the generators or renderings change, so caches are rebuilt


def cache_key(model: ModelConfig, cfg: PretrainConfig, seed: int, numbers: int) -> str:
    blob = json.dumps({"model": model.preset, "pretrain": cfg.model_dump(), "seed": seed, "numbers": numbers,
                       "data_version": DATA_VERSION}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


def pretrain_train_config(cfg: PretrainConfig, records: list[dict], tokenizer) -> TrainConfig:
    """Samples per step from the records' mean length, so a step holds about `batch_tokens` tokens."""
    sample = records[:500]
    mean_tokens = sum(len(encode(tokenizer, r["messages"], r["response"], 256)[0].input_ids) for r in sample) / len(sample)
    micro = max(2, round(cfg.batch_tokens / mean_tokens / 4))
    # Four length-sorted micro-batches per step pad far less than one; the token-mean loss is the same.
    return TrainConfig(lr=cfg.lr, warmup_ratio=cfg.warmup_ratio, steps=max(cfg.steps, 1), global_batch=4 * micro,
                       micro_batch=micro, max_length=256, save_every=max(cfg.steps // 5, 1), min_lr_ratio=0.1,
                       weight_decay=0.01)


def base_model(model: ModelConfig, cfg: PretrainConfig, seed: int, numbers: int, cache_root: Path) -> Path:
    """Path of the pre-trained base model, training it first unless the cache has it."""
    out = cache_root / f"{model.preset}-{cache_key(model, cfg, seed, numbers)}"
    checkpoints = out / "checkpoints"
    final = ckpt.step_dir(checkpoints, max(cfg.steps, 1))
    if final.exists():
        log.info("pretrain: cached base model %s", final)
        return final
    init = ckpt.step_dir(checkpoints, 0)
    net, tokenizer = build_preset(model.preset, seed)
    if not init.exists():
        tmp = init.with_name(init.name + ".tmp")
        net.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        tmp.rename(init)
    records = pretrain_records(cfg, seed, numbers)
    resume = ckpt.latest_resumable(checkpoints) is not None
    log.info("pretrain: %s preset on %d direct-answer records, %d steps", model.preset, len(records), cfg.steps)
    train(pretrain_train_config(cfg, records, tokenizer), records, str(init), out, seed=seed, resume=resume, desc="pretrain")
    return final
