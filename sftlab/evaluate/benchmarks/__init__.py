"""The benchmark registry: register by decorator, refuse duplicates, answer an unknown name with the known ones."""

from __future__ import annotations

from sftlab.evaluate.benchmarks.base import Benchmark, Item, Sampling, Scored
from sftlab.registry import Registry

BENCHMARKS: Registry[type[Benchmark]] = Registry("benchmark")
register = BENCHMARKS.register
get = BENCHMARKS.get_class


from sftlab.evaluate.benchmarks import (  # noqa: E402,F401  importing registers
    aime, alpacaeval, gpqa, halueval, hexphi, humaneval, ifeval, livecodebench, math500, minilab, mmlu_pro,
    truthfulqa, xstest,
)

__all__ = ["BENCHMARKS", "Benchmark", "Item", "Sampling", "Scored", "get", "register"]
