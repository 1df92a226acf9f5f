"""Countdown: reach a target with + - * / over given numbers, each used at most once (the training domain).

The long chain of thought is the solver's own depth-first search written out: every step is
`a op b = c` followed by its comparison with the target (`8+7=15<22`), so the target is restated at
each step; a node's remaining numbers follow in brackets; exhausted branches end in `dead end`;
the found expression is checked at the end. Pruning keeps intermediates positive integers below
`limit`, which keeps traces short enough for tiny models to learn.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from sftlab.tasks import Problem, TaskFamily, register, respond
from sftlab.tasks.arith import ExpressionError, evaluate, uses_only

Node = tuple[int, str]  # (value, expression)


@dataclass
class Search:
    lines: list[str]
    found: str | None = None


def _compare(c: int, target: int) -> str:
    return "<" if c < target else (">" if c > target else "=")


def _ordered(x: Node, y: Node, op: str) -> tuple[Node, Node]:
    # Subtraction and division are written larger-first, so every step stays a positive integer.
    return (y, x) if op in "-/" and y[0] > x[0] else (x, y)


def _apply(a: int, op: str, b: int) -> int | None:
    if op == "+":
        return a + b
    if op == "*":
        return a * b
    if op == "-":
        return a - b if a > b else None
    return a // b if b > 1 and a % b == 0 else None


def _wrap(expr: str) -> str:
    return expr if expr.isdigit() else f"({expr})"


class Countdown(TaskFamily):
    has_cot = True
    tag = "countdown"

    def __init__(self, numbers: int = 3, low: int = 1, high: int = 9, limit: int = 100, ops: str = "+*-/") -> None:
        self.count, self.low, self.high, self.limit, self.ops = numbers, low, high, limit, ops

    # -- problems -------------------------------------------------------------------------------
    def generate(self, rng: random.Random) -> Problem:
        """Numbers drawn at random; the target is the value of a random valid combination of all of them."""
        while True:
            nums = [rng.randint(self.low, self.high) for _ in range(self.count)]
            pool: list[Node] = [(n, str(n)) for n in nums]
            while len(pool) > 1:
                x, y = rng.sample(pool, 2)
                op = rng.choice(self.ops)
                a, b = _ordered(x, y, op)
                c = _apply(a[0], op, b[0])
                if c is None or c >= self.limit:
                    break
                pool.remove(x)
                pool.remove(y)
                pool.append((c, f"{_wrap(a[1])}{op}{_wrap(b[1])}"))
            if len(pool) == 1 and pool[0][0] not in nums:
                return self.make(nums, pool[0][0])

    def make(self, nums: list[int], target: int) -> Problem:
        shown = " ".join(map(str, nums))
        return Problem(self.name, f"{sorted(nums)}:{target}", f"{self.tag}: {shown} target {target}",
                       {"numbers": list(nums), "target": target})

    # -- search ---------------------------------------------------------------------------------
    def _steps(self, pool: list[Node], target: int) -> list:
        """Children of a search node in a fixed order (pairs left to right, then `+ * - /`).

        The order is local: every line of the trace follows from the previous one and the numbers
        at hand, the same order as the step drills of pre-training. (A best-first order gives shorter
        traces but asks a tiny model to rank all candidate steps before writing the first one.)
        """
        return list(self._children(pool))

    def _children(self, pool: list[Node]):
        seen = set()  # equal numbers give equal steps: try each once
        for i in range(len(pool)):
            for j in range(i + 1, len(pool)):
                for op in self.ops:
                    a, b = _ordered(pool[i], pool[j], op)
                    c = _apply(a[0], op, b[0])
                    if c is not None and c < self.limit and (a[0], op, b[0]) not in seen:
                        seen.add((a[0], op, b[0]))
                        rest = [n for k, n in enumerate(pool) if k not in (i, j)]
                        yield a, op, b, (c, f"{_wrap(a[1])}{op}{_wrap(b[1])}"), rest

    def _dfs(self, pool: list[Node], target: int, depth: int, search: Search) -> None:
        indent = " " * depth
        for a, op, b, node, rest in self._steps(pool, target):
            line = f"{indent}{a[0]}{op}{b[0]}={node[0]}{_compare(node[0], target)}{target}"
            if node[0] == target:
                search.lines.append(line)
                search.found = node[1]
                return
            if rest:
                search.lines.append(f"{line} [{' '.join(str(n[0]) for n in [node, *rest])}]")
                self._dfs([node, *rest], target, depth + 1, search)
                if search.found:
                    return
            else:
                search.lines.append(line)
        search.lines.append(f"{indent}dead end")

    def search(self, problem: Problem) -> Search:
        search = Search([])
        pool = [(n, str(n)) for n in problem.data["numbers"]]
        if problem.data["target"] in problem.data["numbers"]:
            search.found = str(problem.data["target"])
        else:
            self._dfs(pool, problem.data["target"], 0, search)
        return search

    def answer(self, problem: Problem) -> str:
        found = self.search(problem).found
        if found is None:
            raise ValueError(f"{problem.prompt}: no solution within the search's pruning")
        return found

    def render_cot(self, problem: Problem) -> str:
        search = self.search(problem)
        if search.found is None:
            raise ValueError(f"{problem.prompt}: no solution within the search's pruning")
        check = f"check {search.found}={problem.data['target']} ok"
        return respond("\n".join([*search.lines, check]), search.found)

    def render_bfs(self, problem: Problem) -> str:
        """A second teacher's style: every first step is listed before any is expanded (breadth first)."""
        target = problem.data["target"]
        pool = [(n, str(n)) for n in problem.data["numbers"]]
        lines, found = [], None
        frontier = []
        for a, op, b, node, rest in self._steps(pool, target):
            lines.append(f"{a[0]}{op}{b[0]}={node[0]}{_compare(node[0], target)}{target}")
            if node[0] == target:
                found = node[1]
                break
            if rest:
                frontier.append([node, *rest])
        for state in frontier if found is None else []:
            lines.append(f"from [{' '.join(str(n[0]) for n in state)}]")
            search = Search([])
            self._dfs(state, target, 1, search)
            lines += search.lines
            if search.found:
                found = search.found
                break
        if found is None:
            raise ValueError(f"{problem.prompt}: no solution within the search's pruning")
        return respond("\n".join([*lines, f"check {found}={target} ok"]), found)

    def render_corrupted(self, problem: Problem, rng: random.Random) -> str:
        """The CoT with wrong arithmetic in some steps and a final answer that may not verify."""
        reasoning, answer = self.render_cot(problem)[len("<think>"):].split("</think>")
        lines = reasoning.split("\n")
        for k in rng.sample(range(len(lines)), max(1, len(lines) // 3)):
            lines[k] = re.sub(r"=(\d+)", lambda m: f"={int(m.group(1)) + rng.choice([-2, -1, 1, 2, 3])}", lines[k], count=1)
        if rng.random() < 0.5:
            answer = self.render_wrong(problem, rng).split("</think>")[1]
        return respond("\n".join(lines), answer)

    def render_wrong(self, problem: Problem, rng: random.Random) -> str:
        """A fluent trace that ends in an expression that misses the target."""
        target = problem.data["target"]
        pool = [(n, str(n)) for n in problem.data["numbers"]]
        misses = [(a, op, b, node) for a, op, b, node, _ in self._children(pool) if node[0] != target]
        a, op, b, node = rng.choice(misses)
        line = f"{a[0]}{op}{b[0]}={node[0]}{_compare(node[0], target)}{target}"
        return respond(f"{line}\ncheck {node[1]}={node[0]} ok", node[1])

    def verify(self, problem: Problem, answer: str) -> bool:
        try:
            result = evaluate(answer)
        except ExpressionError:
            return False
        return set(answer) <= set(" 0123456789()" + self.ops) and uses_only(
            result.numbers, problem.data["numbers"]
        ) and result.value == problem.data["target"]

    def drills(self, rng: random.Random) -> tuple[str, str]:
        """Every step the trace would try for one pair and target, written exactly as in the trace."""
        # Half the drills are first steps (two given numbers), half later ones (a result and a number).
        x = rng.randint(self.low, self.high) if rng.random() < 0.5 else rng.randint(self.high + 1, self.limit - 1)
        y = rng.randint(self.low, self.high)
        target = rng.randint(self.low, self.limit - 1)
        lines = []
        for op in self.ops:
            a, b = _ordered((x, str(x)), (y, str(y)), op)
            c = _apply(a[0], op, b[0])
            if c is not None and c < self.limit:
                lines.append(f"{a[0]}{op}{b[0]}={c}{_compare(c, target)}{target}")
        return f"steps{'' if self.ops == '+*-/' else self.ops}: {x} {y} target {target}", respond("", "\n".join(lines))


@register("countdown")
class CountdownFamily(Countdown):
    pass


@register("countdown_pm")
class CountdownPlusMinus(Countdown):
    """The near out-of-domain family: Countdown with + and - only, in exactly Countdown's notation."""

    tag = "countdown+-"

    def __init__(self, numbers: int = 3, low: int = 1, high: int = 20, limit: int = 100, ops: str = "+-") -> None:
        super().__init__(numbers, low, high, limit, ops)
