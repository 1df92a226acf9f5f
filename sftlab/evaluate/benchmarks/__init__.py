"""The benchmark registry: register by decorator, refuse duplicates, answer an unknown name with the known ones."""

from __future__ import annotations

from sftlab.errors import UserError
from sftlab.evaluate.benchmarks.base import Benchmark, Item, Sampling, Scored

BENCHMARKS: dict[str, type[Benchmark]] = {}


def register(name: str):
    def add(cls: type[Benchmark]) -> type[Benchmark]:
        if name in BENCHMARKS:
            raise ValueError(f"benchmark {name!r} registered twice")
        cls.name = name
        BENCHMARKS[name] = cls
        return cls

    return add


def get(name: str) -> type[Benchmark]:
    if name not in BENCHMARKS:
        raise UserError(f"unknown benchmark {name!r}; known: {', '.join(sorted(BENCHMARKS))}")
    return BENCHMARKS[name]


from sftlab.evaluate.benchmarks import (  # noqa: E402,F401  importing registers
    aime, alpacaeval, gpqa, halueval, hexphi, humaneval, ifeval, livecodebench, math500, minilab, mmlu_pro,
    truthfulqa, xstest,
)

__all__ = ["BENCHMARKS", "Benchmark", "Item", "Sampling", "Scored", "get", "register"]
