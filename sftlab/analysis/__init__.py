"""Analysis of one or more runs: from their results stores to `analysis.json` (the findings the report draws).

Reads `runs/<name>/results.sqlite` (or the run's rows of one store that several runs share) and
`runs/<name>/config.yaml` (optional); writes `analysis.json` atomically (by default beside the runs:
`runs/<name>/analysis.json` for one run, `<common parent>/analysis.json` for several). Runs that differ only in
their seed are analysed as one experiment (`replicates`). The science lives in the pure modules (stats,
trajectory, length, patterns, safety, tables); this module only loads, composes and serialises.
"""

from __future__ import annotations

import logging
import math
import os
from dataclasses import asdict
from pathlib import Path
from typing import Mapping, Sequence

import pandas as pd
import yaml

from sftlab.analysis.length import length_stages
from sftlab.analysis.patterns import LEXICONS, Lexicon, pattern_rates
from sftlab.analysis.replicates import Member, group_replicates
from sftlab.analysis.safety import safety_tradeoff
from sftlab.analysis.stats import N_BOOT
from sftlab.analysis.tables import RunInfo, markdown, model_data_table, model_data_wide, schedule_table
from sftlab.analysis.trajectory import ALL, benchmark_curves, compare_to_base, dip_recovery, group_curves, regimes
from sftlab.errors import UserError
from sftlab.evaluate.store import ResultsStore
from sftlab.io import atomic_write_json

log = logging.getLogger(__name__)
FINDINGS_VERSION = 1
HEADLINE = (("in-domain", "score"), ("ood", "score"), ("safety", "score"), (ALL, "response_tokens"))


def default_out(run_dirs: Sequence[Path]) -> Path:
    """The directory where findings and the report of these runs go: the run itself, or the runs' common parent."""
    return Path(os.path.commonpath([Path(d).resolve() for d in run_dirs]))


def load_run(run_dir: Path, store: Path | None = None) -> list[Member]:
    """The run's rows (texts included) and resolved config ({} when absent): one member per run name found.

    `store`: a results store shared by several runs, of which this run's rows are read (keyed by the run
    directory's name, as `sftlab sweep --store` writes them); by default the run's own results.sqlite.
    """
    run_dir = Path(run_dir)
    path = Path(store) if store else run_dir / "results.sqlite"
    if not path.exists():
        raise UserError(f"{path}: no results store; evaluate the run first (sftlab sweep {run_dir})")
    with ResultsStore(path) as s:
        df = s.frame(run=run_dir.name if store else None, with_text=True)
    if df.empty:
        raise UserError(f"{path}: no results of run {run_dir.name}; evaluate it first (sftlab sweep {run_dir})")
    cfg_path = run_dir / "config.yaml"
    cfg = yaml.safe_load(cfg_path.read_text()) if cfg_path.exists() else {}
    cfg = cfg if isinstance(cfg, dict) else {}
    return [Member(str(name), run_dir, cfg, rows.reset_index(drop=True), path)
            for name, rows in df.groupby("run", sort=True)]


def lexicon_for(cfg: Mapping) -> str:
    """Mini-lab runs (a preset model, no model path) get the mini-lab lexicon; real models the English one."""
    model = cfg.get("model") or {}
    return "minilab" if model.get("preset") and not model.get("path") else "english"


def _headline(df: pd.DataFrame, curves: dict[str, pd.DataFrame], seed: int, n_boot: int) -> dict:
    out = {}
    for group, value in HEADLINE:
        c = curves[value]
        g = c[c["group"] == group].set_index("step")
        if 0 not in g.index:
            continue
        final = int(g.index.max())
        diff = compare_to_base(df, group, seed, n_boot, value=value).set_index("step")
        out[f"{group}:{value}"] = dict(
            group=group, value=value, base=g.loc[0, ["mean", "lo", "hi"]].to_dict(), final_step=final,
            final=g.loc[final, ["mean", "lo", "hi"]].to_dict(),
            diff=diff.loc[final, ["diff", "lo", "hi", "p"]].to_dict() if final in diff.index else None,
        )
    return out


def analyze_frame(df: pd.DataFrame, seed: int = 0, n_boot: int = N_BOOT, lexicon: Lexicon | None = None) -> dict:
    """Findings of one run's rows: curves, dip-and-recovery, length stages, regimes, patterns, safety, headline."""
    curves = {v: group_curves(df, seed, value=v, n_boot=n_boot) for v in ("score", "response_tokens")}
    acc, length = curves["score"], curves["response_tokens"]
    dips = {}
    for group in ("in-domain", "ood", "general"):
        g = acc[acc["group"] == group]
        if not g.empty and 0 in set(g["step"]):
            dips[group] = dip_recovery(group, g, compare_to_base(df, group, seed, n_boot))
    overall = length[length["group"] == ALL].sort_values("step")
    stages = length_stages(overall["step"], overall["mean"])
    target = "ood" if "ood" in dips else "in-domain" if "in-domain" in dips else None
    support = acc[acc["group"] == "in-domain"] if target == "ood" and "in-domain" in dips else None
    regime = regimes(acc[acc["group"] == target], dips[target], support, stages.spike) if target else {}
    truncation = df.groupby("step")["truncated"].mean()
    recovery = dips[target].recovery_step if target else None
    return dict(
        steps=sorted(int(s) for s in df["step"].unique()),
        curves=acc.to_dict("records"),
        length=length.assign(truncation=length["step"].map(truncation)).to_dict("records"),
        benchmarks=benchmark_curves(df, seed, n_boot).to_dict("records"),
        dips={g: asdict(d) for g, d in dips.items()},
        regime_target=target,
        regimes=[dict(step=s, regime=r) for s, r in regime.items()],
        length_stages={**asdict(stages), "settle_minus_recovery": (
            stages.settle_step - recovery if stages.settle_step is not None and recovery is not None else None)},
        patterns=pattern_rates(df, lexicon).to_dict("records") if lexicon and "response" in df else [],
        safety=asdict(s) if (s := safety_tradeoff(acc)) else None,
        headline=_headline(df, curves, seed, n_boot),
    )


def _run_info(name: str, cfg: Mapping, curves: pd.DataFrame) -> RunInfo:
    model, data, train = cfg.get("model") or {}, cfg.get("data") or {}, cfg.get("train") or {}
    return RunInfo(
        name=name, model=str(model.get("path") or model.get("preset") or "?"),
        condition=str(data.get("path") or data.get("condition") or "?"),
        global_batch=train.get("global_batch"), epochs=train.get("epochs"), samples=data.get("samples"),
        curves=curves,
    )


def _jsonable(obj: object) -> object:
    """NaN and infinities become null: strict JSON has no NaN, and browsers' JSON.parse rejects it."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, Mapping):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if hasattr(obj, "item"):  # numpy scalars
        return _jsonable(obj.item())
    return obj


def analyze(
    run_dirs: Sequence[Path],
    out_path: Path | None = None,
    seed: int = 0,
    n_boot: int = N_BOOT,
    lexicon: Lexicon | str | None = None,
    at: str | int = "final",
    store: Path | None = None,
    pool_seeds: bool = True,
) -> dict:
    """Analyse the runs and write the findings (a JSON-ready dict) to `out_path` (default `default_out/analysis.json`).

    `lexicon`: a category -> regexes dict, a name in `patterns.LEXICONS`, or None to choose by each run's config.
    `at`: the checkpoint the comparison tables use (`final`, `best` or a step).
    `store`: one results store shared by the runs (default: each run's own).
    `pool_seeds`: analyse runs that differ only in their seed as one experiment, with intervals across seeds.
    """
    if not run_dirs:
        raise UserError("analyze: give at least one run directory")
    if at not in ("final", "best") and not isinstance(at, int):
        raise UserError(f"at {at!r}: expected final, best or a step number")
    if isinstance(lexicon, str) and lexicon not in LEXICONS:
        raise UserError(f"lexicon {lexicon!r}: unknown; known: {sorted(LEXICONS)}")
    members = [m for run_dir in map(Path, run_dirs) for m in load_run(run_dir, store)]
    runs, infos = [], []
    for exp in group_replicates(members, pool_seeds):
        first = exp.members[0]
        lex = LEXICONS[lexicon] if isinstance(lexicon, str) else lexicon or LEXICONS[lexicon_for(first.config)]
        rows = exp.frame()
        log.info("analysing %s (%d rows, %d checkpoints, %d seed(s))", exp.name, len(rows), rows["step"].nunique(),
                 len(exp.members))
        found = analyze_frame(rows, seed, n_boot, lex)
        runs.append(dict(name=exp.name, run_dir=str(first.run_dir), store=str(first.store), config=first.config,
                         seeds=exp.seeds, members=[dict(name=m.name, run_dir=str(m.run_dir)) for m in exp.members],
                         **found))
        infos.append(_run_info(exp.name, first.config, pd.DataFrame(found["curves"])))
    try:
        schedule, model_long = schedule_table(infos, at), model_data_table(infos, at)
    except ValueError as e:
        raise UserError(f"at {at!r}: {e}") from None
    pct = ("in-domain", "ood", "general", "safety")
    findings = dict(
        version=FINDINGS_VERSION, seed=seed, n_boot=n_boot, at=at, runs=runs,
        tables=dict(
            schedule=schedule.to_dict("records"), schedule_md=markdown(schedule, pct),
            model_data=model_long.to_dict("records"), model_data_md=markdown(model_data_wide(model_long)),
        ),
    )
    findings = _jsonable(findings)
    atomic_write_json(out_path or default_out(run_dirs) / "analysis.json", findings)
    return findings
