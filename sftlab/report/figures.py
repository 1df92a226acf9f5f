"""The report's figures: matplotlib (Agg) PNGs drawn from the findings of `sftlab.analysis.analyze`.

Writes PNG files into the report directory; each function returns the file name it wrote (or None when the
runs have nothing to draw for it). Reads nothing: findings and training metrics come in as arguments.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import matplotlib

matplotlib.use("Agg")  # no display: reports are built on servers and in CI
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

REGIME_COLORS = {"underfitting": "#fde3c4", "optimal": "#d4f0d4", "overfitting": "#f8d0d0", "declining": "#e0e0e0"}
GROUP_TITLES = {"in-domain": "In-domain accuracy", "ood": "Out-of-domain accuracy", "general": "General benchmarks",
                "safety": "Safety: attack success rate (lower is safer)"}
DPI = 110


def _save(fig: plt.Figure, out_dir: Path, name: str) -> str:
    fig.savefig(out_dir / name, dpi=DPI, bbox_inches="tight")
    plt.close(fig)
    return name


def _shade_regimes(ax: plt.Axes, regimes: Sequence[dict]) -> None:
    """Colour the span around each checkpoint by its regime (half-way to its neighbours)."""
    steps = [r["step"] for r in regimes]
    for i, r in enumerate(regimes):
        color = REGIME_COLORS.get(r["regime"])
        if color is None:
            continue
        left = (steps[i - 1] + steps[i]) / 2 if i else steps[i]
        right = (steps[i] + steps[i + 1]) / 2 if i + 1 < len(steps) else steps[i]
        ax.axvspan(left, right, color=color, alpha=0.6, lw=0, zorder=0)


def _band(ax: plt.Axes, frame: pd.DataFrame, label: str, color: str, scale: float = 100.0, **line) -> None:
    frame = frame.sort_values("step")
    ax.fill_between(frame["step"], frame["lo"] * scale, frame["hi"] * scale, color=color, alpha=0.18, lw=0)
    ax.plot(frame["step"], frame["mean"] * scale, marker="o", ms=3.5, color=color, label=label, **line)


def _mark_dip(ax: plt.Axes, dip: dict, curve: pd.DataFrame, color: str, label: bool) -> None:
    """Baseline line, and dip / recovery / peak markers; `label` writes their steps (unreadable when runs overlap)."""
    ax.axhline(dip["baseline"] * 100, color=color, ls=":", lw=1)
    at = curve.set_index("step")["mean"] * 100
    marks = [("dip", dip["dip_step"] if dip["dip_significant"] else None, "v"),
             ("recovery", dip["recovery_step"], "s"), ("peak", dip["peak_step"], "*")]
    for name, step, marker in marks:
        if step is None or step not in at.index:
            continue
        ax.plot([step], [at[step]], marker=marker, ms=11 if marker == "*" else 8, color=color, mec="black", zorder=5)
        if label:
            ax.annotate(f"{name} @{step}", (step, at[step]), textcoords="offset points", xytext=(4, 6), fontsize=8)


def _colors(n: int) -> list[str]:
    cycle = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    return [cycle[i % len(cycle)] for i in range(n)]


def _group_panel(ax: plt.Axes, runs: Sequence[dict], group: str) -> None:
    single = len(runs) == 1
    for run, color in zip(runs, _colors(len(runs))):
        curves = pd.DataFrame(run["curves"])
        curve = curves[curves["group"] == group]
        if curve.empty:
            continue
        if single and group == "ood":
            bench = pd.DataFrame(run["benchmarks"])
            ood = bench[bench["domain"] == "ood"]
            for (name, rows), c in zip(ood.groupby("benchmark"), _colors(len(ood["benchmark"].unique()) + 1)[1:]):
                ax.plot(rows["step"], rows["mean"] * 100, marker=".", lw=1, color=c, alpha=0.8, label=name)
        label = f"{run['name']}" if not single else ("OOD mean" if group == "ood" else group)
        _band(ax, curve, label, "black" if single and group == "ood" else color, lw=2)
        if group in run["dips"]:
            _mark_dip(ax, run["dips"][group], curve, color, label=single)
        elif group == "safety" and 0 in set(curve["step"]):
            ax.axhline(float(curve[curve["step"] == 0]["mean"].iloc[0]) * 100, color=color, ls=":", lw=1)
    ax.set_title(GROUP_TITLES[group], fontsize=10, loc="left")
    ax.set_ylabel("%")
    ax.set_ylim(-3, 103)
    ax.legend(fontsize=7, loc="best")


def _length_panel(ax: plt.Axes, runs: Sequence[dict]) -> None:
    twin = ax.twinx()
    for run, color in zip(runs, _colors(len(runs))):
        length = pd.DataFrame(run["length"])
        overall = length[length["group"] == "all"].sort_values("step")
        _band(ax, overall, f"{run['name']} mean tokens", color, scale=1.0, lw=2)
        twin.plot(overall["step"], overall["truncation"] * 100, ls="--", color=color, lw=1, label=f"{run['name']} truncated %")
        stages = run["length_stages"]
        if stages["settle_step"] is not None:
            ax.axvline(stages["settle_step"], color=color, ls="-.", lw=1)
            ax.annotate(f"settles @{stages['settle_step']}", (stages["settle_step"], ax.get_ylim()[1]),
                        textcoords="offset points", xytext=(3, -12), fontsize=8)
    ax.set_title("Mean response length (all benchmarks) and truncation rate", fontsize=10, loc="left")
    ax.set_ylabel("tokens")
    twin.set_ylabel("truncated %")
    twin.set_ylim(-3, 103)
    lines = ax.get_legend_handles_labels()
    more = twin.get_legend_handles_labels()
    ax.legend(lines[0] + more[0], lines[1] + more[1], fontsize=7, loc="upper left")


def trajectory_figure(runs: Sequence[dict], out_dir: Path) -> str:
    """Stacked panels over checkpoints: each group present, then length; regime shading from the first run."""
    groups = [g for g in ("in-domain", "ood", "general", "safety")
              if any(c["group"] == g for run in runs for c in run["curves"])]
    fig, axes = plt.subplots(len(groups) + 1, 1, figsize=(9, 2.9 * (len(groups) + 1)), sharex=True, squeeze=False)
    axes = axes[:, 0]
    for ax, group in zip(axes, groups):
        if len(runs) == 1:
            _shade_regimes(ax, runs[0]["regimes"])
        _group_panel(ax, runs, group)
    _length_panel(axes[-1], runs)
    axes[-1].set_xlabel("training step (0 = base model)")
    fig.tight_layout()
    return _save(fig, out_dir, "trajectory.png")


def training_figure(metrics: dict[str, list[dict]], out_dir: Path) -> str | None:
    """Training loss and learning rate per optimizer step, one line per run."""
    metrics = {name: rows for name, rows in metrics.items() if rows}
    if not metrics:
        return None
    fig, (ax, ax_lr) = plt.subplots(1, 2, figsize=(10, 3.2))
    for (name, rows), color in zip(metrics.items(), _colors(len(metrics))):
        m = pd.DataFrame(rows)
        if "loss" in m:
            ax.plot(m["step"], m["loss"], color=color, lw=1, label=name)
        if "lr" in m:
            ax_lr.plot(m["step"], m["lr"], color=color, lw=1, label=name)
    ax.set_title("Training loss (response tokens)", fontsize=10, loc="left")
    ax_lr.set_title("Learning rate", fontsize=10, loc="left")
    for a in (ax, ax_lr):
        a.set_xlabel("step")
        a.legend(fontsize=7)
    fig.tight_layout()
    return _save(fig, out_dir, "training.png")


def patterns_figure(runs: Sequence[dict], out_dir: Path) -> str | None:
    """Reasoning-pattern markers per 1k response tokens over checkpoints, one panel per domain."""
    frames = [pd.DataFrame(r["patterns"]).assign(run=r["name"]) for r in runs if r["patterns"]]
    if not frames:
        return None
    pat = pd.concat(frames)
    domains = sorted(pat["domain"].unique())
    fig, axes = plt.subplots(1, len(domains), figsize=(4.2 * len(domains), 3.2), squeeze=False, sharey=True)
    styles = ["-", "--", ":", "-."]
    for ax, domain in zip(axes[0], domains):
        d = pat[pat["domain"] == domain]
        for (run, rows), style in zip(d.groupby("run", sort=False), styles * 8):
            for (cat, c), color in zip(rows.groupby("category", sort=True), _colors(rows["category"].nunique())):
                ax.plot(c["step"], c["per_1k"], ls=style, marker=".", color=color,
                        label=cat if len(runs) == 1 else f"{run}: {cat}")
        ax.set_title(domain, fontsize=10, loc="left")
        ax.set_xlabel("step")
    axes[0][0].set_ylabel("markers per 1k tokens")
    axes[0][0].legend(fontsize=7)
    fig.tight_layout()
    return _save(fig, out_dir, "patterns.png")


def safety_figure(runs: Sequence[dict], out_dir: Path) -> str | None:
    """ASR against the OOD gain over checkpoints (each point a checkpoint, labelled with its step)."""
    have = [r for r in runs if r["safety"] and any(g is not None for g in r["safety"]["ood_gain"])]
    if not have:
        return None
    fig, ax = plt.subplots(figsize=(5.5, 4))
    for run, color in zip(have, _colors(len(have))):
        s = run["safety"]
        pts = [(g * 100, a * 100, st) for g, a, st in zip(s["ood_gain"], s["asr"], s["steps"]) if g is not None]
        ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", color=color, lw=1, label=run["name"])
        for x, y, st in pts:
            ax.annotate(str(st), (x, y), textcoords="offset points", xytext=(3, 3), fontsize=7)
    ax.axvline(0, color="grey", lw=0.8, ls=":")
    ax.set_xlabel("OOD gain over the base model (points)")
    ax.set_ylabel("attack success rate %")
    ax.set_title("Safety trade-off", fontsize=10, loc="left")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return _save(fig, out_dir, "safety.png")
