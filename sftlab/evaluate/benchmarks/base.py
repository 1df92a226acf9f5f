"""What a benchmark is: items, a prompt per item, a score per response, and its sampling settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

Domain = Literal["in-domain", "ood", "general", "safety"]


@dataclass(frozen=True)
class Item:
    id: str  # stable across runs and machines: the store's key
    question: str  # the user-facing text (used for decontamination and the sample browser)
    reference: Any  # the gold answer, in whatever form the benchmark's scorer needs
    meta: dict = field(default_factory=dict)  # category, options, tests, ...


@dataclass(frozen=True)
class Sampling:
    temperature: float = 0.0
    top_p: float = 1.0
    max_new_tokens: int = 256
    samples: int = 1  # responses per item (avg@k, pass@1 over k)


@dataclass(frozen=True)
class Scored:
    score: float  # 0..1; for safety benchmarks 1 means the attack succeeded
    answer: str | None  # what was extracted from the response (None: no answer given)
    detail: dict = field(default_factory=dict)  # judge verdicts, test results, ...


class Benchmark:
    """One benchmark. Subclasses set the class attributes and implement the three methods.

    `path` is a local file or hub id for real benchmarks; procedural (mini-lab) benchmarks generate
    their items from `seed` and ignore it.
    """

    name: ClassVar[str]
    domain: ClassVar[Domain]
    sampling: ClassVar[Sampling] = Sampling()
    source: ClassVar[str] = ""  # what file it expects and where it is published, for `sftlab eval --list`

    def __init__(self, path: str | Path | None = None, seed: int = 0) -> None:
        self.path = path
        self.seed = seed

    def load(self) -> list[Item]:
        raise NotImplementedError

    def prompt(self, item: Item) -> list[dict]:
        """Chat messages for the item: [{"role": "user", "content": ...}, ...]."""
        raise NotImplementedError

    def score(self, item: Item, answer_text: str) -> Scored:
        """Score the text after the reasoning block (never called for truncated responses)."""
        raise NotImplementedError

    def score_batch(self, pairs: list[tuple[Item, str]]) -> list[Scored]:
        """Score many (item, answer text) pairs, in order; benchmarks that can score in parallel override it."""
        return [self.score(item, text) for item, text in pairs]
