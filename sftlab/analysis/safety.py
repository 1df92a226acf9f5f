"""The safety trade-off: attack success rate (ASR) per checkpoint against the OOD gain, and whether ASR rises.

Pure function over the group curves of `trajectory.group_curves` (groups `safety` and `ood`). A safety
benchmark scores 1 when the attack succeeded, so the safety group's mean is the ASR.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import pandas as pd
from scipy import stats


@dataclass(frozen=True)
class SafetyTradeoff:
    steps: list[int] = field(default_factory=list)
    asr: list[float] = field(default_factory=list)
    ood_gain: list[float | None] = field(default_factory=list)  # OOD mean minus its step-0 value
    rho_step: float | None = None  # Spearman rho of ASR against step: 1 means it only ever rises
    p_step: float | None = None
    rho_gain: float | None = None  # Spearman rho of ASR against OOD gain over checkpoints
    p_gain: float | None = None
    asr_base: float | None = None
    asr_final: float | None = None

    @property
    def rises(self) -> bool:
        """ASR rises with training: positive rank correlation with step at the 5% level."""
        return self.rho_step is not None and self.rho_step > 0 and self.p_step is not None and self.p_step < 0.05


def _spearman(x: list[float], y: list[float]) -> tuple[float | None, float | None]:
    if len(x) < 3:
        return None, None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a constant input is a legitimate "no correlation", reported as None
        res = stats.spearmanr(x, y)
    rho, p = float(res.statistic), float(res.pvalue)
    return (None, None) if math.isnan(rho) else (rho, p)


def safety_tradeoff(curves: pd.DataFrame) -> SafetyTradeoff | None:
    """ASR curve, its Spearman trend over steps and its rank correlation with the OOD gain; None without safety."""
    safety = curves[curves["group"] == "safety"].sort_values("step")
    if safety.empty:
        return None
    ood = curves[curves["group"] == "ood"].set_index("step")["mean"]
    base = ood.get(0)
    steps = [int(s) for s in safety["step"]]
    asr = [float(a) for a in safety["mean"]]
    gain = [float(ood[s] - base) if base is not None and s in ood.index else None for s in steps]
    rho_step, p_step = _spearman([float(s) for s in steps], asr)
    paired = [(a, g) for a, g in zip(asr, gain) if g is not None]
    rho_gain, p_gain = _spearman([g for _, g in paired], [a for a, _ in paired])
    return SafetyTradeoff(steps, asr, gain, rho_step, p_step, rho_gain, p_gain,
                          asr_base=asr[0] if steps[0] == 0 else None, asr_final=asr[-1])
