"""Multiple-choice helpers shared by GPQA, MMLU-Pro and TruthfulQA: seeded option order, rendering, scoring.

Option order comes from (seed, item id) through a hash, never from a global RNG, so the same item is
shown the same way in every process and on every machine.
"""

from __future__ import annotations

import hashlib
import random

from sftlab.data.answers import extract_choice
from sftlab.evaluate.benchmarks.base import Scored

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

CHOICE_INSTRUCTION = "Please reason step by step, and put the letter of your final choice within \\boxed{}."


def item_rng(seed: int, key: str) -> random.Random:
    """A generator determined by (seed, key) alone: Python's own hash() is salted per process."""
    digest = hashlib.sha256(f"{seed}:{key}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def stable_permutation(n: int, seed: int, key: str) -> list[int]:
    order = list(range(n))
    item_rng(seed, key).shuffle(order)
    return order


def render(question: str, options: list[str]) -> str:
    lines = [question.strip(), ""]
    lines += [f"({LETTERS[i]}) {str(option).strip()}" for i, option in enumerate(options)]
    return "\n".join(lines) + "\n\n" + CHOICE_INSTRUCTION


def score_choice(answer_text: str, correct: str, n_options: int) -> Scored:
    """1 when the letter stated in the final answer (last box, else 'answer is X') is the correct one."""
    chosen = extract_choice(answer_text, LETTERS[:n_options])
    return Scored(float(chosen == correct), chosen, {"correct": correct})
