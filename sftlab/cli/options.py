"""Options shared by every command that runs an experiment, declared once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from sftlab.config import ExperimentConfig, load_config

ConfigOpt = Annotated[
    Optional[Path], typer.Option("--config", "-c", help="Experiment YAML (default: the built-in mini-lab demo).")
]
RunsOpt = Annotated[Path, typer.Option("--runs-dir", help="Where run directories live.")]
OverridesArg = Annotated[
    Optional[list[str]], typer.Argument(help="Config overrides as dotted key=value, e.g. train.lr=3e-5 name=exp1.")
]


def experiment(config: Path | None, overrides: list[str] | None) -> ExperimentConfig:
    return load_config(config, overrides or [])
