"""Signs: put + or - between given digits, in order, to reach a target.

The out-of-domain family that the same kind of search solves in another notation: the answer is the
digit row with signs, not a sequence of `a op b = c` steps.
"""

from __future__ import annotations

import random
import re

from sftlab.tasks import Problem, TaskFamily, register, respond


@register("signs")
class Signs(TaskFamily):
    def __init__(self, digits: int = 4) -> None:
        self.count = digits

    def generate(self, rng: random.Random) -> Problem:
        digits = [rng.randint(1, 9) for _ in range(self.count)]
        signs = [rng.choice("+-") for _ in range(self.count - 1)]
        target = digits[0] + sum(d if s == "+" else -d for s, d in zip(signs, digits[1:]))
        row = " ".join(map(str, digits))
        return Problem(self.name, f"{row}:{target}", f"signs: {row} target {target}", {"digits": digits, "target": target})

    def answer(self, problem: Problem) -> str:
        digits, target = problem.data["digits"], problem.data["target"]
        for mask in range(2 ** (len(digits) - 1)):
            signs = ["+-"[(mask >> k) & 1] for k in range(len(digits) - 1)]
            if digits[0] + sum(d if s == "+" else -d for s, d in zip(signs, digits[1:])) == target:
                return str(digits[0]) + "".join(s + str(d) for s, d in zip(signs, digits[1:]))
        raise ValueError(f"{problem.prompt}: unsolvable")

    def verify(self, problem: Problem, answer: str) -> bool:
        answer = answer.replace(" ", "")
        if not re.fullmatch(r"\d([+-]\d)*", answer):
            return False
        digits = [int(c) for c in answer if c.isdigit()]
        if digits != problem.data["digits"]:
            return False
        signs = [c for c in answer if c in "+-"]
        return digits[0] + sum(d if s == "+" else -d for s, d in zip(signs, digits[1:])) == problem.data["target"]

    def render_direct(self, problem: Problem) -> str:
        return respond("", self.answer(problem))
