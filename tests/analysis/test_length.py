import itertools

import numpy as np
import pytest

from sftlab.analysis.length import best_partition, length_stages, segment


def _brute_force(x, k):
    """Every placement of k-1 change points: the exact answer the DP must match."""
    n, best = len(x), (np.inf, None)
    for cuts in itertools.combinations(range(1, n), k - 1):
        bounds = [0, *cuts, n]
        err = sum(((x[a:b] - x[a:b].mean()) ** 2).sum() for a, b in zip(bounds, bounds[1:]))
        best = min(best, (err, [0, *cuts]), key=lambda t: t[0])
    return best


@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_partition_is_the_exact_least_squares_optimum(k):
    x = np.random.default_rng(k).normal(size=9) * 10
    starts, err = best_partition(x, k)
    want_err, want_starts = _brute_force(x, k)
    assert starts == want_starts and err == pytest.approx(want_err)


def test_bic_finds_the_planted_levels_and_not_noise():
    rng = np.random.default_rng(0)
    x = np.concatenate([np.full(3, 10.0), np.full(4, 160.0), np.full(8, 60.0)]) + rng.normal(0, 3, 15)
    assert segment(x) == [0, 3, 7]
    assert segment(50 + rng.normal(0, 3, 15)) == [0]


def test_spike_then_settle():
    steps = list(range(0, 150, 10))
    means = [10, 10, 10, 160, 158, 162, 161, 60, 61, 59, 60, 60, 61, 59, 60]
    st = length_stages(steps, means)
    assert (st.spike_start, st.settle_step, st.spike) == (30, 70, (30, 70))
    assert st.settled_mean == pytest.approx(60, abs=1)
    # A slow descent through an intermediate level is still the spike: settling is reaching the final level.
    st = length_stages(range(0, 90, 10), [8, 160, 140, 141, 60, 60, 61, 59, 60])
    assert st.settle_step == 40


def test_length_that_rises_and_stays_has_no_settle():
    st = length_stages(range(0, 100, 10), [10, 10, 10, 80, 80, 81, 79, 80, 80, 80])
    assert st.settle_step is None and st.spike is None and len(st.segments) == 2
