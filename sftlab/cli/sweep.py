"""`sftlab sweep`: evaluate what is missing for every selected checkpoint of one or more runs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from sftlab.cli import app
from sftlab.cli.options import ConfigOpt


@app.command("sweep")
def sweep_cmd(
    runs: Annotated[list[Path], typer.Argument(help="Run directories (runs/<name>) with a checkpoints/ folder.")],
    config: ConfigOpt = None,
    store: Annotated[Optional[Path], typer.Option(help="One results store for all runs (default: <run>/results.sqlite).")] = None,
    select: Annotated[str, typer.Option(help="Checkpoints: all, every:K, log[:FIRST] (FIRST, 2xFIRST, 4xFIRST, ...) or 0,10,40.")] = "all",
    follow: Annotated[bool, typer.Option("--follow", help="Evaluate checkpoints as a running training writes them; stop when it has finished.")] = False,
    poll: Annotated[float, typer.Option(help="--follow: seconds between looks for new checkpoints.")] = 30.0,
    timeout: Annotated[float, typer.Option(help="--follow: give up after this many seconds without a new checkpoint.")] = 3600.0,
    launcher: Annotated[Optional[str], typer.Option(help="local, slurm (one submitit job per checkpoint) or ray (default: eval.launcher).")] = None,
    override: Annotated[Optional[list[str]], typer.Option("--set", help="Config override key=value, e.g. eval.judge=hf (repeatable).")] = None,
) -> None:
    """Evaluate every checkpoint of the runs on their benchmarks, computing only the missing samples.

    Each run uses its resolved config (runs/<name>/config.yaml) unless --config is given.

    Example: sftlab sweep runs/demo --select log:10 --set eval.data_dir=benchmarks/
    """
    from sftlab.evaluate.sweep import Plan, sweep_runs

    overrides = list(override or []) + ([f"eval.launcher={launcher}"] if launcher else [])
    added = sweep_runs(runs, config, overrides, store, Plan(select, follow, poll, timeout))
    typer.echo(f"{added} new samples stored")
