"""Procedural task families: seeded problems, exact solvers written out as search traces, exact verifiers.

The same families feed training data (mini-lab SFT and pre-training) and benchmarks. A family renders
a problem as a chat prompt and a response: a long chain of thought inside `<think>...</think>` then the
answer, or the answer alone (an empty reasoning block, as reasoning models write when not thinking).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import ClassVar

from sftlab.errors import UserError
from sftlab.registry import Registry


@dataclass(frozen=True)
class Problem:
    family: str
    key: str  # canonical identity: two problems with the same key are the same problem
    prompt: str  # the user turn
    data: dict = field(default_factory=dict)


def respond(reasoning: str, answer: str) -> str:
    """The assistant turn: reasoning block then answer (an empty block for a direct answer)."""
    return f"<think>{reasoning}</think>{answer}"


class TaskFamily:
    """A task family. `generate` draws one problem; `verify` decides an answer exactly."""

    name: ClassVar[str]
    has_cot: ClassVar[bool] = False  # whether `render_cot` writes a search trace

    def generate(self, rng: random.Random) -> Problem:
        raise NotImplementedError

    def answer(self, problem: Problem) -> str:
        """A correct final answer."""
        raise NotImplementedError

    def verify(self, problem: Problem, answer: str) -> bool:
        raise NotImplementedError

    def render_direct(self, problem: Problem) -> str:
        return respond("", self.answer(problem))

    def render_cot(self, problem: Problem) -> str:
        raise NotImplementedError(f"{self.name} has no chain-of-thought rendering")

    def drills(self, rng: random.Random) -> tuple[str, str] | None:
        """A (prompt, response) drill of one search step, for pre-training; None if the family has none."""
        return None


FAMILIES: Registry[type[TaskFamily]] = Registry("task family")
register = FAMILIES.register


def get(name: str, **options) -> TaskFamily:
    """An instance of the family `name` (options: the family's own, e.g. `numbers` for Countdown)."""
    return FAMILIES.get_class(name)(**options)


def distinct_problems(family: TaskFamily, rng: random.Random, count: int, exclude: set[str] = frozenset()) -> list[Problem]:
    """`count` problems with distinct keys, none in `exclude` (held-out evaluation problems)."""
    seen = set(exclude)
    problems: list[Problem] = []
    attempts = 0
    while len(problems) < count:
        attempts += 1
        if attempts > 50 * count + 1000:
            raise UserError(f"{family.name}: only {len(problems)} distinct problems found, {count} asked for")
        p = family.generate(rng)
        if p.key not in seen:
            seen.add(p.key)
            problems.append(p)
    return problems


from sftlab.tasks import countdown, digits, path, refusal  # noqa: E402,F401  importing registers
