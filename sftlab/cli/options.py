"""Options shared by every command that runs an experiment, declared once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from sftlab.config import ExperimentConfig, load_config

ConfigOpt = Annotated[
    Optional[Path], typer.Option("--config", "-c", help="Experiment YAML (default: the mini-lab demo, examples/demo.yaml).")
]
RunsOpt = Annotated[Path, typer.Option("--runs-dir", help="Where run directories live.")]
OverridesArg = Annotated[
    Optional[list[str]], typer.Argument(help="Config overrides as dotted key=value, e.g. train.lr=3e-5 name=exp1.")
]


DEMO_CONFIG = Path(__file__).parents[1] / "minilab" / "demo.yaml"


def experiment(config: Path | None, overrides: list[str] | None) -> ExperimentConfig:
    """The config file (the mini-lab demo's when none is given) with the overrides applied."""
    return load_config(config or DEMO_CONFIG, overrides or [])
