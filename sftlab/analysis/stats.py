"""Bootstrap statistics over the results store's rows: confidence intervals and paired checkpoint comparisons.

Pure functions, no I/O; randomness comes in as a `numpy.random.Generator`.

A *group* of benchmarks (for example all OOD benchmarks) is scored as the mean of its benchmarks' means, so a
large benchmark does not drown a small one. Each benchmark is an items x samples matrix; the bootstrap resamples
items with replacement and then, inside each drawn item, its samples with replacement (two-stage), which keeps
both sources of noise: which problems were asked and what the model happened to sample.

When an experiment was trained with several seeds, a benchmark is a seeds x items x samples array and the
bootstrap gains a first stage: seeds are drawn with replacement (the same item draw serves every drawn seed, as
every seed answered the same items). The interval then also covers what training happened to do, which is the
spread a reader comparing two experiments needs; with one seed it is the two-stage bootstrap above.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Sequence

import numpy as np

LEVEL = 0.95
N_BOOT = 1000
_CHUNK_CELLS = 4_000_000  # bootstrap draws are made in chunks so memory stays ~32 MB whatever the benchmark size


@dataclass(frozen=True)
class Estimate:
    mean: float
    lo: float
    hi: float
    n_items: int


@dataclass(frozen=True)
class Comparison:
    """`b - a` on the same items: the difference, its interval and a two-sided bootstrap p-value."""

    diff: float
    lo: float
    hi: float
    p: float

    @property
    def significant(self) -> bool:
        return self.lo > 0 or self.hi < 0


def _nanmean(x: np.ndarray, axis: int) -> np.ndarray:
    """nanmean without the warning for all-NaN slices: an item missing at a checkpoint is expected, not an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(x, axis=axis)


def _by_seed(mat: np.ndarray) -> np.ndarray:
    """A benchmark as seeds x items x samples (an items x samples matrix is one seed)."""
    return mat[None] if mat.ndim == 2 else mat


def _items(mat: np.ndarray) -> int:
    return _by_seed(mat).shape[1]


def point_mean(mats: Sequence[np.ndarray]) -> float:
    """Mean over benchmarks of the mean over seeds of the mean over items of the mean over samples."""
    per_bench = [np.nanmean(_nanmean(_nanmean(_by_seed(m), axis=2), axis=1)) for m in mats if np.isfinite(m).any()]
    return float(np.mean(per_bench)) if per_bench else float("nan")


def _resample_means(mat: np.ndarray, seeds: np.ndarray | None, items: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Bootstrap replicate means of one benchmark (seeds x items x samples), given the drawn seed indices
    (reps x S, or None for a single seed) and item indices (reps x n)."""
    n_seeds, _, width = mat.shape
    if seeds is None:
        seeds = np.zeros((items.shape[0], n_seeds), dtype=int)
    s, i = seeds[:, :, None], items[:, None, :]  # reps x S x n once broadcast
    if width == 1:
        vals = mat[s, i, 0]
    else:
        # Samples are left-aligned, so a uniform slot below the item's own count picks one of its real samples.
        drawn_counts = np.isfinite(mat).sum(axis=2)[s, i]
        slots = (rng.random(drawn_counts.shape + (width,)) * drawn_counts[..., None]).astype(int)
        vals = _nanmean(mat[s[..., None], i[..., None], np.minimum(slots, width - 1)], axis=3)
    return _nanmean(_nanmean(vals, axis=2), axis=1)


def _replicates(groups: Sequence[Sequence[np.ndarray]], rng: np.random.Generator, n_boot: int) -> np.ndarray:
    """Replicates of `point_mean` for each of several aligned groups (same items per benchmark): (len(groups), n_boot).

    The same seed and item draws are shared by the aligned groups, which is what makes a comparison paired.
    """
    out = np.zeros((len(groups), n_boot))
    n_bench = len(groups[0])
    for b in range(n_bench):
        mats = [_by_seed(g[b]) for g in groups]
        n_seeds, n, _ = mats[0].shape
        width = max(m.shape[2] for m in mats)
        step = max(1, _CHUNK_CELLS // max(1, n_seeds * n * width))
        parts: list[list[np.ndarray]] = [[] for _ in groups]
        for start in range(0, n_boot, step):
            reps = min(step, n_boot - start)
            items = rng.integers(0, n, size=(reps, n))
            seeds = rng.integers(0, n_seeds, size=(reps, n_seeds)) if n_seeds > 1 else None
            for g, mat in enumerate(mats):
                parts[g].append(_resample_means(mat, seeds, items, rng))
        for g in range(len(groups)):
            out[g] += np.concatenate(parts[g])
    return out / n_bench


def bootstrap_ci(mats: Sequence[np.ndarray], rng: np.random.Generator, n_boot: int = N_BOOT, level: float = LEVEL) -> Estimate:
    """Mean of a group of benchmarks (`point_mean`) with a percentile bootstrap interval."""
    mats = [m for m in mats if _items(m) > 0]
    if not mats:
        return Estimate(float("nan"), float("nan"), float("nan"), 0)
    reps = _replicates([mats], rng, n_boot)[0]
    tail = (1 - level) / 2
    lo, hi = np.nanquantile(reps, [tail, 1 - tail])
    return Estimate(point_mean(mats), float(lo), float(hi), int(sum(_items(m) for m in mats)))


def paired_bootstrap(
    a: Sequence[np.ndarray], b: Sequence[np.ndarray], rng: np.random.Generator, n_boot: int = N_BOOT, level: float = LEVEL
) -> Comparison:
    """Difference `b - a` between two checkpoints scored on the same items (row i of a[k] and b[k] is one item;
    with seeds, seed j of both is one training run).

    Seeds and items are drawn once per replicate for both checkpoints; samples are drawn independently for each.
    Items missing at either checkpoint are dropped, so the comparison is always on common items.
    """
    pairs = []
    for ma, mb in zip(a, b, strict=True):
        ma, mb = _by_seed(ma), _by_seed(mb)
        both = np.isfinite(ma).any(axis=(0, 2)) & np.isfinite(mb).any(axis=(0, 2))
        if both.any():
            pairs.append((ma[:, both], mb[:, both]))
    if not pairs:
        return Comparison(float("nan"), float("nan"), float("nan"), float("nan"))
    ra, rb = _replicates([[p[0] for p in pairs], [p[1] for p in pairs]], rng, n_boot)
    diffs = rb - ra
    tail = (1 - level) / 2
    lo, hi = np.nanquantile(diffs, [tail, 1 - tail])
    # Two-sided p from the bootstrap distribution's mass on the far side of zero (+1 so p is never exactly 0).
    below = (np.sum(diffs <= 0) + 1) / (n_boot + 1)
    above = (np.sum(diffs >= 0) + 1) / (n_boot + 1)
    diff = point_mean([p[1] for p in pairs]) - point_mean([p[0] for p in pairs])
    return Comparison(float(diff), float(lo), float(hi), float(min(1.0, 2 * min(below, above))))
