"""Synthetic store frames with planted trajectories, for the analysis tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


def planted_frame(
    curves: dict[str, tuple[str, dict[int, float]]],
    n_items: int = 400,
    samples: int = 1,
    seed: int = 0,
    tokens: dict[int, float] | None = None,
) -> pd.DataFrame:
    """Rows like `ResultsStore.frame()`: benchmark -> (domain, step -> true accuracy), Bernoulli scores."""
    rng = np.random.default_rng(seed)
    rows = []
    for bench, (domain, by_step) in curves.items():
        for step, p in by_step.items():
            for i in range(n_items):
                for s in range(samples):
                    mean_tokens = (tokens or {}).get(step, 50.0)
                    rows.append(dict(run="synthetic", step=step, benchmark=bench, domain=domain, item_id=f"{bench}-{i}",
                                     sample=s, answer="", score=float(rng.random() < p),
                                     response_tokens=int(rng.poisson(mean_tokens)), reasoning_tokens=0,
                                     answer_tokens=0, finish_reason="stop", truncated=False, seconds=0.0))
    return pd.DataFrame(rows)


@pytest.fixture
def make_frame():
    return planted_frame
