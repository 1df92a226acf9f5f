"""Comparison tables over several runs: the fixed-budget schedule table and the model x data table.

Pure functions over `RunInfo` (a run's settings and its `trajectory.group_curves`); `markdown()` renders any of
the frames for `tables.md`, and the report writes the same frames as CSV.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import pandas as pd

SCORE_GROUPS = ("in-domain", "ood", "general", "safety")


@dataclass(frozen=True)
class RunInfo:
    name: str
    model: str  # preset name or model path: the model x data table's row
    condition: str  # data condition (or data file): its column
    global_batch: int | None
    epochs: float | None
    samples: int | None
    curves: pd.DataFrame  # group_curves of the run

    @property
    def total_steps(self) -> int:
        return int(self.curves["step"].max()) if not self.curves.empty else 0


def pick_step(curves: pd.DataFrame, at: str | int = "final") -> int:
    """`final` (last checkpoint), `best` (highest OOD mean, in-domain when there is no OOD) or a step number."""
    steps = sorted(int(s) for s in curves["step"].unique())
    if at == "final":
        return steps[-1]
    if at == "best":
        for group in ("ood", "in-domain", "all"):
            g = curves[curves["group"] == group]
            if not g.empty:
                return int(g.loc[g["mean"].idxmax(), "step"])
        return steps[-1]
    step = int(at)
    if step not in steps:
        raise ValueError(f"step {step} was not evaluated; evaluated steps: {steps}")
    return step


def _scores(curves: pd.DataFrame, step: int) -> dict[str, float]:
    at = curves[curves["step"] == step].set_index("group")["mean"]
    return {g: float(at[g]) if g in at.index else math.nan for g in SCORE_GROUPS}


def schedule_table(runs: Sequence[RunInfo], at: str | int = "final") -> pd.DataFrame:
    """Runs sharing a total step budget, side by side: batch, epochs, data size and the scores at `at`.

    Only budgets shared by two or more runs appear: the table compares schedules at a fixed budget.
    """
    budgets = pd.Series([r.total_steps for r in runs]).value_counts()
    rows = []
    for r in sorted(runs, key=lambda r: (r.total_steps, r.name)):
        if budgets[r.total_steps] < 2:
            continue
        step = pick_step(r.curves, at)
        rows.append(dict(budget=r.total_steps, run=r.name, global_batch=r.global_batch, epochs=r.epochs,
                         samples=r.samples, step=step, **_scores(r.curves, step)))
    return pd.DataFrame(rows, columns=["budget", "run", "global_batch", "epochs", "samples", "step", *SCORE_GROUPS])


def model_data_table(runs: Sequence[RunInfo], at: str | int = "final") -> pd.DataFrame:
    """Long form: one row per (model, condition) at `at`, plus a `base` row per model from step 0.

    When several runs share a (model, condition) the first one (by name) is used; the base row comes from
    the first run of the model, since every run of one base model starts from the same step 0.
    """
    rows, seen = [], set()
    for r in sorted(runs, key=lambda r: (r.model, r.condition, r.name)):
        if (r.model, "base") not in seen and 0 in set(r.curves["step"]):
            seen.add((r.model, "base"))
            rows.append(dict(model=r.model, condition="base", run=r.name, step=0, **_scores(r.curves, 0)))
        if (r.model, r.condition) in seen:
            continue
        seen.add((r.model, r.condition))
        step = pick_step(r.curves, at)
        rows.append(dict(model=r.model, condition=r.condition, run=r.name, step=step, **_scores(r.curves, step)))
    return pd.DataFrame(rows, columns=["model", "condition", "run", "step", *SCORE_GROUPS])


def model_data_wide(long: pd.DataFrame) -> pd.DataFrame:
    """Rows: models; columns: base then data conditions; cells `in-domain / OOD / general` in percent."""
    def cell(r: pd.Series) -> str:
        return " / ".join("–" if pd.isna(r[g]) else f"{100 * r[g]:.1f}" for g in ("in-domain", "ood", "general"))

    if long.empty:
        return pd.DataFrame()
    frame = long.assign(cell=long.apply(cell, axis=1)).pivot(index="model", columns="condition", values="cell")
    cols = ["base"] + sorted(c for c in frame.columns if c != "base")
    return frame.reindex(columns=[c for c in cols if c in frame.columns]).fillna("").reset_index()


def markdown(frame: pd.DataFrame, percent: Sequence[str] = ()) -> str:
    """A GitHub-flavoured markdown table; columns in `percent` (0..1 floats) are shown as percentages."""
    if frame.empty:
        return "(no rows)\n"

    def fmt(col: str, v: object) -> str:
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return "–"
        if col in percent:
            return f"{100 * float(v):.1f}"
        return f"{v:g}" if isinstance(v, float) else str(v).replace("|", "\\|")

    head = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "| " + " | ".join("---" for _ in frame.columns) + " |"
    body = ["| " + " | ".join(fmt(c, v) for c, v in zip(frame.columns, row)) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([head, rule, *body]) + "\n"
