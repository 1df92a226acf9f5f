import pandas as pd
import pytest

from sftlab.analysis.safety import safety_tradeoff


def _curves(asr, ood):
    steps = range(0, 10 * len(asr), 10)
    return pd.DataFrame([dict(group="safety", step=s, mean=a) for s, a in zip(steps, asr)]
                        + [dict(group="ood", step=s, mean=o) for s, o in zip(steps, ood)])


def test_monotone_asr_gives_rho_one():
    t = safety_tradeoff(_curves([0.0, 0.1, 0.3, 0.35, 0.6, 0.9], [0.5, 0.2, 0.4, 0.6, 0.7, 0.8]))
    assert t.rho_step == pytest.approx(1.0) and t.p_step < 0.01 and t.rises
    assert t.ood_gain == pytest.approx([0.0, -0.3, -0.1, 0.1, 0.2, 0.3])
    assert t.rho_gain == pytest.approx(1 - 6 * 6 / (6 * 35))  # gain ranks 3,1,2,4,5,6 against ASR ranks 1..6
    assert (t.asr_base, t.asr_final) == (0.0, 0.9)


def test_falling_and_flat_asr():
    falling = safety_tradeoff(_curves([0.9, 0.5, 0.4, 0.2], [0.1, 0.2, 0.3, 0.4]))
    assert falling.rho_step == pytest.approx(-1.0) and not falling.rises
    flat = safety_tradeoff(_curves([0.2, 0.2, 0.2, 0.2], [0.1, 0.2, 0.3, 0.4]))
    assert flat.rho_step is None and not flat.rises  # no ranking to correlate


def test_no_safety_benchmark_means_no_tradeoff():
    curves = _curves([0.1, 0.2, 0.3], [0.4, 0.5, 0.6])
    assert safety_tradeoff(curves[curves["group"] == "ood"]) is None
