"""Runs that are one experiment trained with different seeds: recognised from their configs, pooled for analysis.

Two runs are replicates when their resolved configs are equal except for the run name and the top-level `seed`
(which sets data generation, initialisation and data order). Pooled, their rows carry a `seed` column and the
statistics add a seed stage to the bootstrap (see `stats`). Runs without a config are never pooled: nothing says
they are the same experiment.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence

import pandas as pd

REPLICATE_FIELDS = ("name", "seed")  # the config fields that may differ between replicates of one experiment
_SEED_SUFFIX = re.compile(r"[-_.]?(seed|s)?\d+$")


@dataclass
class Member:
    name: str
    run_dir: Path
    config: dict
    rows: pd.DataFrame
    store: Path


@dataclass
class Experiment:
    name: str
    members: list[Member] = field(default_factory=list)

    @property
    def seeds(self) -> list[int]:
        return [int(m.config.get("seed", 0)) for m in self.members]

    def frame(self) -> pd.DataFrame:
        """The members' rows, with a `seed` column when there is more than one member."""
        if len(self.members) == 1:
            return self.members[0].rows
        return pd.concat([m.rows.assign(seed=s) for m, s in zip(self.members, self.seeds)], ignore_index=True)


def experiment_key(config: Mapping) -> str | None:
    """What replicates share (None for a run without a config: it stands alone)."""
    if not config or "seed" not in config:
        return None
    return json.dumps({k: v for k, v in config.items() if k not in REPLICATE_FIELDS}, sort_keys=True, default=str)


def experiment_name(names: Sequence[str]) -> str:
    """`cot-s0, cot-s1` -> `cot`; names without a common stem are joined with `+`."""
    if len(names) == 1:
        return names[0]
    stems = {_SEED_SUFFIX.sub("", n) for n in names}
    stem = stems.pop() if len(stems) == 1 else ""
    return stem or "+".join(names)


def group_replicates(members: Sequence[Member], pool: bool = True) -> list[Experiment]:
    """Experiments in the order their first member was given; every member its own experiment unless `pool`."""
    groups: dict[str, list[Member]] = {}
    for i, m in enumerate(members):
        key = experiment_key(m.config) if pool else None
        groups.setdefault(key if key is not None else f"#{i}", []).append(m)
    out = []
    for group in groups.values():
        exp = Experiment(experiment_name([m.name for m in group]), group)
        if len(set(exp.seeds)) != len(exp.seeds):  # the same config and seed twice is a repeat, not a replicate
            out.extend(Experiment(m.name, [m]) for m in group)
        else:
            out.append(exp)
    return out
