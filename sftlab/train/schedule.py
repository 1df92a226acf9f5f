"""Learning-rate schedules as a multiplier of the peak lr: linear warmup, then cosine, constant or WSD."""

from __future__ import annotations

import math

from sftlab.config import TrainConfig


def warmup_steps(total_steps: int, cfg: TrainConfig) -> int:
    return round(cfg.warmup_ratio * total_steps)


def lr_factor(step: int, total_steps: int, cfg: TrainConfig) -> float:
    """Multiplier of `cfg.lr` for optimizer step `step` (0-based) of `total_steps`."""
    warm = warmup_steps(total_steps, cfg)
    if step < warm:
        return (step + 1) / warm
    floor = cfg.min_lr_ratio
    if cfg.schedule == "constant":
        return 1.0
    if cfg.schedule == "cosine":
        span = max(total_steps - warm, 1)
        progress = min((step - warm) / span, 1.0)
        return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * progress))
    # WSD: warmup, stable at the peak, then a linear decay over the last `decay_ratio` of the steps,
    # reaching the floor one step after the last (as cosine does), so no step runs at a zero rate.
    decay = max(round(cfg.decay_ratio * total_steps), 1)
    start = total_steps - decay
    if step < start:
        return 1.0
    return floor + (1 - floor) * (1 - (step - start) / decay)
