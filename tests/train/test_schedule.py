"""Learning-rate multipliers at exact steps, for each schedule."""

import math

import pytest

from sftlab.config import TrainConfig
from sftlab.train.schedule import lr_factor


def factors(total: int, **fields) -> list[float]:
    cfg = TrainConfig(**fields)
    return [lr_factor(step, total, cfg) for step in range(total)]


def test_cosine_with_warmup():
    got = factors(10, schedule="cosine", warmup_ratio=0.2)
    # Two warmup steps (0.5, 1.0), then cosine over the 8 remaining steps.
    expected = [0.5, 1.0] + [0.5 * (1 + math.cos(math.pi * k / 8)) for k in range(8)]
    assert got == pytest.approx(expected, abs=1e-12)
    assert got[6] == pytest.approx(0.5)  # halfway through the decay


def test_cosine_floor():
    got = factors(5, schedule="cosine", warmup_ratio=0.0, min_lr_ratio=0.1)
    assert got[0] == 1.0
    assert got[4] == pytest.approx(0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * 4 / 5)))
    assert min(got) > 0.1


def test_constant_with_warmup():
    assert factors(8, schedule="constant", warmup_ratio=0.5) == [0.25, 0.5, 0.75, 1.0, 1.0, 1.0, 1.0, 1.0]


def test_wsd():
    got = factors(10, schedule="wsd", warmup_ratio=0.2, decay_ratio=0.4)
    assert got == pytest.approx([0.5, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.75, 0.5, 0.25])


def test_no_warmup_starts_at_peak():
    assert factors(3, schedule="cosine", warmup_ratio=0.0)[0] == 1.0
