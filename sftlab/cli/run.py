"""Commands that run experiment stages: demo, pretrain, train, eval."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from sftlab.cli import app
from sftlab.cli.options import ConfigOpt, OverridesArg, RunsOpt, experiment


@app.command()
def demo(config: ConfigOpt = None, runs_dir: RunsOpt = Path("runs"), overrides: OverridesArg = None) -> None:
    """The mini-lab end to end: base model (cached), SFT, evaluation of every checkpoint, report.

    Example: sftlab demo            (or: sftlab demo train.steps=60 name=short)
    """
    from sftlab.minilab.demo import run_experiment
    from sftlab.report import summary_lines

    done = run_experiment(experiment(config, overrides), runs_dir)
    print("\n".join(summary_lines(done.findings)))
    print(f"report: {done.report}")


@app.command()
def pretrain(config: ConfigOpt = None, runs_dir: RunsOpt = Path("runs"), overrides: OverridesArg = None) -> None:
    """Pre-train (or find cached) the mini-lab base model and print its path.

    Example: sftlab pretrain model.preset=xs pretrain.steps=500
    """
    from sftlab.minilab.pretrain import base_model

    cfg = experiment(config, overrides)
    print(base_model(cfg.model, cfg.pretrain, cfg.seed, cfg.data.numbers, runs_dir / "_base"))


@app.command()
def train(
    config: ConfigOpt = None,
    runs_dir: RunsOpt = Path("runs"),
    resume: Annotated[bool, typer.Option("--resume", help="Continue from the last complete checkpoint.")] = False,
    overrides: OverridesArg = None,
) -> None:
    """Fine-tune: write the run's data, then SFT with checkpoints every train.save_every steps.

    Example: sftlab train -c examples/demo.yaml name=lr1e-4 train.lr=1e-4
    """
    from sftlab.minilab.demo import train_stage

    train_stage(experiment(config, overrides), runs_dir, resume)


@app.command("eval")
def evaluate(
    config: ConfigOpt = None,
    runs_dir: RunsOpt = Path("runs"),
    list_benchmarks: Annotated[bool, typer.Option("--list", help="List the registered benchmarks and exit.")] = False,
    steps: Annotated[Optional[str], typer.Option(help="Only these checkpoint steps, comma-separated.")] = None,
    overrides: OverridesArg = None,
) -> None:
    """Evaluate every checkpoint of a run on its benchmarks; only missing samples are computed.

    Example: sftlab eval name=demo      (or: sftlab eval --list)
    """
    from sftlab.evaluate.sweep import describe_benchmarks, sweep

    if list_benchmarks:
        print(describe_benchmarks())
        return
    cfg = experiment(config, overrides)
    wanted = [int(s) for s in steps.split(",")] if steps else None
    added = sweep(runs_dir / cfg.name, cfg.eval, run=cfg.name, steps=wanted)
    print(f"{added} new samples stored in {runs_dir / cfg.name / 'results.sqlite'}")
