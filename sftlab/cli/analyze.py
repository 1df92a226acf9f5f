"""`sftlab analyze` and `sftlab report`: findings and the static HTML page of one or more evaluated runs."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from sftlab.cli import app

RUNS = typer.Argument(..., help="Run directories (runs/<name>) with a results.sqlite.", exists=True, file_okay=False)
SEED = typer.Option(0, help="Seed of the bootstrap resampling.")
AT = typer.Option("final", help="Checkpoint of the comparison tables: final, best (highest OOD mean) or a step.")
STORE = typer.Option(None, "--store", help="One results store shared by the runs (as written by sftlab sweep --store).")
POOL = typer.Option(True, "--pool-seeds/--separate-seeds",
                    help="Analyse runs whose configs differ only in `seed` as one experiment, intervals across seeds.")


# The library is imported inside the commands: pandas, scipy and matplotlib would slow every `sftlab --help`.


def _at(value: str) -> str | int:
    return int(value) if value.isdigit() else value


@app.command("analyze")
def analyze_cmd(
    runs: list[Path] = RUNS,
    out: Optional[Path] = typer.Option(None, "--out", help="Where to write the findings (default: <run>/analysis.json)."),
    seed: int = SEED,
    lexicon: Optional[str] = typer.Option(None, help="Reasoning-pattern lexicon: english or minilab (default: by model)."),
    at: str = AT,
    store: Optional[Path] = STORE,
    pool_seeds: bool = POOL,
) -> None:
    """Compute trajectories, dip-and-recovery, regimes, length stages, patterns and safety trade-off.

    Example: sftlab analyze runs/demo          (three seeds of one config: sftlab analyze runs/cot-s0 runs/cot-s1 runs/cot-s2)
    """
    from sftlab.analysis import analyze
    from sftlab.report import summary_lines

    findings = analyze(runs, out, seed=seed, lexicon=lexicon, at=_at(at), store=store, pool_seeds=pool_seeds)
    for line in summary_lines(findings):
        typer.echo(line)


@app.command("report")
def report_cmd(
    runs: list[Path] = RUNS,
    out: Optional[Path] = typer.Option(None, "--out", help="Report directory (default: <run>/report)."),
    seed: int = SEED,
    store: Optional[Path] = STORE,
    pool_seeds: bool = POOL,
) -> None:
    """Write a static HTML report (figures, per-checkpoint tables, samples) and tables.md.

    Example: sftlab report runs/demo --out runs/demo/report
    """
    from sftlab.report import build_report, summary_lines
    from sftlab.analysis import analyze

    findings = analyze(runs, seed=seed, store=store, pool_seeds=pool_seeds)
    index = build_report(runs, out, findings=findings)
    for line in summary_lines(findings):
        typer.echo(line)
    typer.echo(f"report: {index}")
