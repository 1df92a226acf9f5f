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


def test_seed_stage_widens_the_interval_by_the_spread_between_training_seeds():
    # Three seeds of one experiment land at 0.2, 0.5 and 0.8 on the same 400 items. Treated as one run's
    # samples, the spread between seeds would look like sampling noise of a single model; the seed stage
    # must carry it into the interval.
    rng = np.random.default_rng(0)
    seeds = np.stack([(rng.random((400, 1)) < p).astype(float) for p in (0.2, 0.5, 0.8)])
    pooled = bootstrap_ci([seeds], np.random.default_rng(1), n_boot=400)
    as_samples = bootstrap_ci([np.concatenate(list(seeds), axis=1)], np.random.default_rng(1), n_boot=400)
    assert pooled.mean == pytest.approx(seeds.mean()) and pooled.n_items == 400
    assert pooled.hi - pooled.lo > 0.3  # the seed means themselves span 0.6
    assert as_samples.hi - as_samples.lo < 0.1


def test_identical_seeds_add_no_width_and_paired_seeds_cancel():
    rng = np.random.default_rng(2)
    one = (rng.random((300, 2)) < 0.5).astype(float)
    three = np.stack([one] * 3)
    a = bootstrap_ci([one], np.random.default_rng(3), n_boot=400)
    b = bootstrap_ci([three], np.random.default_rng(3), n_boot=400)
    assert b.mean == a.mean and abs((b.hi - b.lo) - (a.hi - a.lo)) < 0.02
    # Every seed gets the same 30 items right later on (+~5 points), while the seeds' levels differ by 30 points:
    # unpaired intervals overlap, but drawing the same seeds and items for both checkpoints cancels the levels.
    base = np.stack([(rng.random((300, 1)) < p).astype(float) for p in (0.2, 0.5, 0.8)])
    later = base.copy()
    later[:, :30] = 1.0
    before = bootstrap_ci([base], np.random.default_rng(4), n_boot=400)
    after = bootstrap_ci([later], np.random.default_rng(4), n_boot=400)
    assert after.lo < before.hi
    up = paired_bootstrap([base], [later], np.random.default_rng(4), n_boot=400)
    assert up.significant and up.diff == pytest.approx(later.mean() - base.mean())
