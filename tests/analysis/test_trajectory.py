import numpy as np
import pandas as pd
import pytest

from sftlab.analysis.trajectory import (
    benchmark_curves,
    compare_to_base,
    dip_recovery,
    group_curves,
    group_members,
    matrices,
    regimes,
)

STEPS = range(0, 101, 10)
OOD = dict(zip(STEPS, [0.6, 0.4, 0.1, 0.3, 0.42, 0.45, 0.6, 0.75, 0.8, 0.9, 0.8]))
IN_DOMAIN = dict(zip(STEPS, [0.3, 0.5, 0.7, 0.8, 0.85, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9]))


def test_matrices_align_items_across_steps_and_pad_missing_samples():
    df = pd.DataFrame(dict(benchmark="b", step=[0, 0, 0, 10, 10], item_id=["y", "x", "x", "z", "y"],
                           sample=[0, 0, 1, 0, 0], score=[1.0, 0.0, 1.0, 1.0, 0.0]))
    m = matrices(df)["b"]
    np.testing.assert_array_equal(m[0], [[0.0, 1.0], [1.0, np.nan], [np.nan, np.nan]])  # rows x, y, z
    np.testing.assert_array_equal(m[10], [[np.nan, np.nan], [0.0, np.nan], [1.0, np.nan]])


@pytest.fixture
def planted(make_frame):
    return make_frame({"countdown": ("in-domain", IN_DOMAIN), "ood-a": ("ood", OOD), "ood-b": ("ood", OOD)})


def test_group_means_average_the_benchmarks_and_bracket_the_truth(planted):
    curves = group_curves(planted, seed=0, n_boot=300)
    ood = curves[curves["group"] == "ood"].set_index("step")
    assert list(ood.index) == list(STEPS)
    assert set(group_members(planted)) == {"in-domain", "ood", "all"}
    # The group mean is the mean of the two benchmark means, exactly.
    bench = benchmark_curves(planted, seed=0, n_boot=100)
    for step in STEPS:
        b = bench[(bench["step"] == step) & (bench["domain"] == "ood")]["mean"]
        assert ood.loc[step, "mean"] == pytest.approx(b.mean())
        assert ood.loc[step, "lo"] <= ood.loc[step, "mean"] <= ood.loc[step, "hi"]
    covered = sum(ood.loc[s, "lo"] <= OOD[s] <= ood.loc[s, "hi"] for s in STEPS)
    assert covered >= 9  # 11 nominal-95% intervals


def test_planted_dip_at_20_recovers_at_60(planted):
    curves = group_curves(planted, seed=0, n_boot=500)
    vs = compare_to_base(planted, "ood", seed=0, n_boot=500)
    dip = dip_recovery("ood", curves[curves["group"] == "ood"], vs)
    assert dip.dip_step == 20 and dip.dip_significant and dip.dip_p < 0.01
    assert dip.dip_depth == pytest.approx(0.5, abs=0.05)
    assert dip.recovery_step == 60
    assert dip.exceed_step == 70
    assert dip.peak_step == 90
    assert dip.final_gain == pytest.approx(0.2, abs=0.05) and dip.final_significant


def test_a_curve_that_only_rises_has_no_dip(planted):
    curves = group_curves(planted, seed=0, n_boot=300)
    vs = compare_to_base(planted, "in-domain", seed=0, n_boot=300)
    dip = dip_recovery("in-domain", curves[curves["group"] == "in-domain"], vs)
    assert dip.dip_step is None and not dip.dip_significant and dip.recovery_step is None
    assert dip.exceed_step == 10


def test_regimes_follow_the_peak_and_the_support_curve(planted):
    curves = group_curves(planted, seed=0, n_boot=300)
    ood, ind = curves[curves["group"] == "ood"], curves[curves["group"] == "in-domain"]
    dip = dip_recovery("ood", ood, compare_to_base(planted, "ood", seed=0, n_boot=300))
    r = regimes(ood, dip, support=ind)
    assert r[0] == "base"
    assert all(r[s] == "underfitting" for s in range(10, 90, 10))
    assert r[90] == "optimal" and r[100] == "overfitting"
    falling = ind.assign(mean=ind["mean"].where(ind["step"] < 100, 0.2))
    assert regimes(ood, dip, support=falling)[100] == "declining"
    assert regimes(ood, dip, support=ind, spike=(90, 100))[90] == "underfitting"


def test_dip_needs_a_baseline():
    with pytest.raises(ValueError, match="step 0"):
        dip_recovery("ood", pd.DataFrame(dict(step=[10], mean=[0.5], lo=[0.4], hi=[0.6])), pd.DataFrame())
