import numpy as np
import pytest

from sftlab.analysis.stats import bootstrap_ci, paired_bootstrap, point_mean


def test_point_mean_is_mean_of_benchmark_means():
    big = np.ones((100, 1))
    small = np.zeros((2, 1))
    assert point_mean([big, small]) == 0.5  # not 100/102: a small benchmark weighs as much as a big one


def test_interval_is_zero_width_for_constant_scores():
    est = bootstrap_ci([np.ones((50, 4))], np.random.default_rng(0), n_boot=200)
    assert (est.mean, est.lo, est.hi, est.n_items) == (1.0, 1.0, 1.0, 50)


def test_ci_covers_the_true_mean_about_95_percent_of_the_time():
    # Seeded simulation: items have their own difficulty, 4 samples each; the interval should cover the true
    # mean near its nominal rate (percentile bootstrap runs slightly narrow at n=60).
    rng = np.random.default_rng(1)
    covered, sims = 0, 300
    for _ in range(sims):
        difficulty = rng.beta(2, 3, size=60)
        scores = (rng.random((60, 4)) < difficulty[:, None]).astype(float)
        est = bootstrap_ci([scores], rng, n_boot=400)
        covered += est.lo <= 0.4 <= est.hi  # beta(2, 3) has mean 0.4
    assert 0.88 <= covered / sims <= 0.99


def test_same_rng_seed_gives_same_interval():
    m = (np.random.default_rng(3).random((80, 2)) < 0.5).astype(float)
    a = bootstrap_ci([m], np.random.default_rng(7), n_boot=300)
    b = bootstrap_ci([m], np.random.default_rng(7), n_boot=300)
    assert a == b


def test_paired_bootstrap_detects_a_shift_and_not_noise():
    rng = np.random.default_rng(0)
    base = (rng.random((300, 1)) < 0.5).astype(float)
    better = base.copy()
    better[:60] = 1.0  # 60 items flipped or kept right: +~0.1
    up = paired_bootstrap([base], [better], np.random.default_rng(1), n_boot=500)
    assert up.significant and up.lo > 0 and up.p < 0.01
    assert up.diff == pytest.approx(better.mean() - base.mean())
    same = paired_bootstrap([base], [base.copy()], np.random.default_rng(1), n_boot=500)
    assert (same.diff, same.lo, same.hi) == (0.0, 0.0, 0.0) and not same.significant and same.p == 1.0


def test_paired_bootstrap_uses_only_common_items():
    a = np.array([[1.0], [0.0], [np.nan]])
    b = np.array([[1.0], [np.nan], [1.0]])
    c = paired_bootstrap([a], [b], np.random.default_rng(0), n_boot=100)
    assert c.diff == 0.0  # only the first item is scored at both checkpoints
