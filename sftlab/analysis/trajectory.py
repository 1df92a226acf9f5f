"""Trajectories over checkpoints: group means with intervals, dip-and-recovery, and the regime of each checkpoint.

Pure functions over one run's frame from `ResultsStore.frame()` (columns step, benchmark, domain, item_id,
sample, score, ...). Step 0 is the base model and the baseline of every comparison. Randomness is the `seed`
argument: each (group, step) cell gets its own generator derived from it, so a cell's interval does not depend
on which other cells were computed first.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sftlab.analysis.stats import N_BOOT, bootstrap_ci, paired_bootstrap

GROUPS = ("in-domain", "ood", "general", "safety")
ALL = "all"  # every benchmark together (used for response length)


def cell_rng(seed: int, *keys: object) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32("|".join(map(str, keys)).encode())])


def matrices(df: pd.DataFrame, value: str = "score") -> dict[str, dict[int, np.ndarray]]:
    """benchmark -> step -> items x samples matrix of `value`, NaN-padded (seeds x items x samples when the
    frame has a `seed` column: the rows of an experiment trained with several seeds).

    Rows are the benchmark's items (sorted, the same at every step, so row i is one item everywhere: what
    paired comparisons need); an item missing at a step is an all-NaN row. Samples are left-aligned.
    """
    df = df.reset_index(drop=True)
    seeded = "seed" in df
    keys = ["benchmark", "step", "item_id"] + (["seed"] if seeded else [])
    slots = df.groupby(keys, sort=False).cumcount().to_numpy()
    values = df[value].to_numpy(dtype=float)
    seed_index = pd.Index(sorted(df["seed"].unique())) if seeded else pd.Index([0])
    seed_codes = seed_index.get_indexer(df["seed"]) if seeded else np.zeros(len(df), dtype=int)
    out: dict[str, dict[int, np.ndarray]] = {}
    for bench, rows in df.groupby("benchmark", sort=True):
        items = pd.Index(sorted(rows["item_id"].unique()))
        pos = rows.index.to_numpy()
        codes, steps = items.get_indexer(rows["item_id"]), rows["step"].to_numpy()
        width = int(slots[pos].max()) + 1
        out[str(bench)] = {}
        for step in np.unique(steps):
            here = steps == step
            at = pos[here]
            mat = np.full((len(seed_index), len(items), width), np.nan)
            mat[seed_codes[at], codes[here], slots[at]] = values[at]
            out[str(bench)][int(step)] = mat if seeded else mat[0]
    return out


def group_members(df: pd.DataFrame) -> dict[str, list[str]]:
    """Group name -> its benchmarks (only groups that have any), plus `all`."""
    domains = df.groupby("benchmark")["domain"].first()
    members = {g: sorted(domains.index[domains == g]) for g in GROUPS}
    members = {g: b for g, b in members.items() if b}
    members[ALL] = sorted(domains.index)
    return members


def group_curves(df: pd.DataFrame, seed: int, value: str = "score", n_boot: int = N_BOOT) -> pd.DataFrame:
    """One row per (group, step): mean of the group's benchmark means, 95% bootstrap interval, items counted."""
    mats = matrices(df, value)
    rows = []
    for group, benches in group_members(df).items():
        for step in sorted(df["step"].unique()):
            step = int(step)
            present = [mats[b][step] for b in benches if step in mats[b]]
            if not present:
                continue
            est = bootstrap_ci(present, cell_rng(seed, value, group, step), n_boot)
            rows.append(dict(group=group, step=step, mean=est.mean, lo=est.lo, hi=est.hi, n_items=est.n_items,
                             n_benchmarks=len(present), complete=len(present) == len(benches)))
    return pd.DataFrame(rows, columns=["group", "step", "mean", "lo", "hi", "n_items", "n_benchmarks", "complete"])


def benchmark_curves(df: pd.DataFrame, seed: int, n_boot: int = N_BOOT) -> pd.DataFrame:
    """One row per (benchmark, step): accuracy with interval, truncation rate and mean response tokens."""
    mats = matrices(df, "score")
    rows = []
    for (bench, step), r in df.groupby(["benchmark", "step"], sort=True):
        est = bootstrap_ci([mats[str(bench)][int(step)]], cell_rng(seed, "bench", bench, step), n_boot)
        rows.append(dict(benchmark=str(bench), domain=str(r["domain"].iloc[0]), step=int(step), mean=est.mean,
                         lo=est.lo, hi=est.hi, n_items=est.n_items, truncation=float(r["truncated"].mean()),
                         mean_tokens=float(r["response_tokens"].mean())))
    return pd.DataFrame(rows)


def compare_to_base(
    df: pd.DataFrame, group: str, seed: int, n_boot: int = N_BOOT, value: str = "score"
) -> pd.DataFrame:
    """Paired bootstrap of every checkpoint against step 0 on the group's common items: step, diff, lo, hi, p."""
    mats = matrices(df, value)
    benches = [b for b in group_members(df).get(group, []) if 0 in mats[b]]
    rows = []
    for step in sorted(int(s) for s in df["step"].unique() if s != 0):
        have = [b for b in benches if step in mats[b]]
        if not have:
            continue
        c = paired_bootstrap([mats[b][0] for b in have], [mats[b][step] for b in have],
                             cell_rng(seed, "paired", value, group, step), n_boot)
        rows.append(dict(step=step, diff=c.diff, lo=c.lo, hi=c.hi, p=c.p))
    return pd.DataFrame(rows, columns=["step", "diff", "lo", "hi", "p"])


@dataclass(frozen=True)
class Dip:
    """The dip-and-recovery shape of one group's curve, all relative to step 0 (None where it did not happen)."""

    group: str
    baseline: float
    dip_step: int | None  # lowest checkpoint after step 0, if below the baseline
    dip_depth: float  # baseline minus the lowest mean (0 when nothing dips)
    dip_significant: bool  # paired bootstrap at the dip step: interval entirely below 0
    dip_p: float | None
    recovery_step: int | None  # first checkpoint after a significant dip not significantly below baseline
    exceed_step: int | None  # first checkpoint (after the dip, if any) significantly above baseline
    peak_step: int
    peak_mean: float
    peak_lo: float
    final_step: int
    final_gain: float
    final_gain_lo: float
    final_gain_hi: float
    final_significant: bool


def dip_recovery(group: str, curve: pd.DataFrame, vs_base: pd.DataFrame) -> Dip:
    """Find the shape from one group's curve (`group_curves` rows) and its `compare_to_base` table."""
    curve = curve.sort_values("step").reset_index(drop=True)
    if curve.empty or curve["step"].iloc[0] != 0:
        raise ValueError(f"{group}: the curve needs step 0 (the base model) as its baseline")
    baseline = float(curve["mean"].iloc[0])
    tests = vs_base.set_index("step")
    later = curve[curve["step"] > 0]
    dip_step, depth, significant, dip_p = None, 0.0, False, None
    if not later.empty and later["mean"].min() < baseline:
        low = later.loc[later["mean"].idxmin()]
        dip_step, depth = int(low["step"]), baseline - float(low["mean"])
        if dip_step in tests.index:
            significant = bool(tests.loc[dip_step, "hi"] < 0)
            dip_p = float(tests.loc[dip_step, "p"])
    after = tests[tests.index > dip_step] if significant else tests
    recovered = after[after["hi"] >= 0] if significant else after.iloc[0:0]
    exceeding = after[after["lo"] > 0]
    peak = curve.loc[curve["mean"].idxmax()]
    final_step = int(curve["step"].iloc[-1])
    final = tests.loc[final_step] if final_step in tests.index else None
    return Dip(
        group=group, baseline=baseline, dip_step=dip_step, dip_depth=depth, dip_significant=significant, dip_p=dip_p,
        recovery_step=int(recovered.index[0]) if len(recovered) else None,
        exceed_step=int(exceeding.index[0]) if len(exceeding) else None,
        peak_step=int(peak["step"]), peak_mean=float(peak["mean"]), peak_lo=float(peak["lo"]),
        final_step=final_step,
        final_gain=float(curve["mean"].iloc[-1]) - baseline,
        final_gain_lo=float(final["lo"]) if final is not None else 0.0,
        final_gain_hi=float(final["hi"]) if final is not None else 0.0,
        final_significant=bool(final is not None and (final["lo"] > 0 or final["hi"] < 0)),
    )


def regimes(
    target: pd.DataFrame,
    dip: Dip,
    support: pd.DataFrame | None = None,
    spike: tuple[int, int] | None = None,
) -> dict[int, str]:
    """Regime of each checkpoint of the `target` curve (usually OOD; `support` usually in-domain).

    base: step 0. underfitting: inside the length spike `[start, settle)`, or before the peak and below its
    interval (which includes every checkpoint below baseline on the way up). optimal: mean within the peak's
    interval. overfitting: after the peak and below its interval while `support` holds at or above its own
    interval's lower bound at the peak step (or there is no support curve). declining: after the peak with
    `support` falling too. A checkpoint below baseline *after* the peak is over-, not underfitted.
    """
    sup = support.set_index("step") if support is not None else None
    out: dict[int, str] = {}
    for row in target.sort_values("step").itertuples():
        step = int(row.step)
        if step == 0:
            out[step] = "base"
        elif spike is not None and spike[0] <= step < spike[1]:
            out[step] = "underfitting"
        elif row.mean >= dip.peak_lo:
            out[step] = "optimal"
        elif step < dip.peak_step:
            out[step] = "underfitting"
        elif sup is None or step not in sup.index or dip.peak_step not in sup.index:
            out[step] = "overfitting"
        else:
            holds = sup.loc[step, "mean"] >= sup.loc[dip.peak_step, "lo"]
            out[step] = "overfitting" if holds else "declining"
    return out
