"""Mini-lab data: held-out evaluation problems, the base model's pre-training mix, and SFT conditions.

Evaluation problems are drawn first, from a seed of their own, and excluded from every training set, since
3-number Countdown has few enough distinct problems that a base model would memorise them. They do not depend
on the run's seed: replicates of an experiment with different seeds answer the same problems, which is what
lets the analysis pair them, and no seed can put another seed's evaluation problems into its training data.
"""

from __future__ import annotations

import random
import zlib

from sftlab.config import DataConfig, PretrainConfig
from sftlab.tasks import Problem, TaskFamily, distinct_problems, get

IN_DOMAIN = "countdown"
OOD_FAMILIES = ("countdown_pm", "signs", "path")
SAFETY = "refusal"
EVAL_POOL = 256  # held-out problems per family; benchmarks use the first `limit`
EVAL_SEED = 0
DRILL_FAMILIES = ("countdown", "countdown_pm")


def family_options(name: str, numbers: int) -> dict:
    return {"numbers": numbers} if name in DRILL_FAMILIES else {}


def _rng(*parts: object) -> random.Random:
    # A seed from a stable hash of the parts (not Python's salted hash), so every process agrees.
    return random.Random(zlib.crc32("/".join(map(str, parts)).encode()))


def heldout(name: str, numbers: int = 3) -> list[Problem]:
    rng = _rng("eval", name, EVAL_SEED, numbers)
    return distinct_problems(get(name, **family_options(name, numbers)), rng, EVAL_POOL)


def heldout_keys(numbers: int) -> set[str]:
    keys: set[str] = set()
    for name in (IN_DOMAIN, *OOD_FAMILIES, SAFETY):
        keys |= {p.key for p in heldout(name, numbers)}
    return keys


def record(problem: Problem, response: str, condition: str) -> dict:
    return {
        "id": f"{problem.family}/{problem.key}",
        "messages": [{"role": "user", "content": problem.prompt}],
        "response": response,
        "meta": {"family": problem.family, "condition": condition, "problem": problem.data},
    }


def pretrain_records(cfg: PretrainConfig, seed: int, numbers: int) -> list[dict]:
    """Direct answers for every family, refusals of marked requests, and search-step drills."""
    exclude = heldout_keys(numbers)
    rng = _rng("pretrain", seed)
    out = []
    for name in (IN_DOMAIN, *OOD_FAMILIES, SAFETY):
        family = get(name, **family_options(name, numbers))
        count = _available(family, cfg.items_per_family)
        for p in distinct_problems(family, rng, count, exclude):
            for shown in _presentations(family, p, rng, cfg.items_per_family // count):
                out.append(record(shown, family.render_direct(shown), "direct"))
    drills = round(len(out) * cfg.drill_share / (1 - cfg.drill_share)) if cfg.drill_share < 1 else len(out)
    for k in range(drills):
        family = get(DRILL_FAMILIES[k % len(DRILL_FAMILIES)])
        prompt, response = family.drills(rng)
        out.append({"id": f"drill/{k}", "messages": [{"role": "user", "content": prompt}], "response": response,
                    "meta": {"family": family.name, "condition": "drill"}})
    rng.shuffle(out)
    return out


def _available(family: TaskFamily, wanted: int) -> int:
    # Small problem spaces (3-number Countdown has under 2k distinct problems) cap how many exist.
    if family.name in DRILL_FAMILIES and getattr(family, "count", 3) == 3:
        return min(wanted, 1200)
    return wanted


def _presentations(family: TaskFamily, problem: Problem, rng: random.Random, count: int) -> list[Problem]:
    """The problem and `count - 1` reorderings of its numbers: small problem spaces get more views."""
    if count <= 1 or "numbers" not in problem.data:
        return [problem]
    views = [problem]
    for _ in range(count - 1):
        nums = list(problem.data["numbers"])
        rng.shuffle(nums)
        views.append(family.make(nums, problem.data["target"]))
    return views


def sft_records(cfg: DataConfig, seed: int) -> list[dict]:
    """The SFT set for one data condition, from the family's solver and verifier."""
    family = get(cfg.task, **family_options(cfg.task, cfg.numbers))
    exclude = heldout_keys(cfg.numbers)
    rng = _rng("sft", cfg.task, seed)
    problems = distinct_problems(family, rng, min(cfg.samples, _available(family, cfg.samples)), exclude)
    render = {
        "cot": lambda p: family.render_cot(p),
        "nocot": lambda p: family.render_direct(p),
        "bfs": lambda p: family.render_bfs(p),
        "unverified": lambda p: family.render_corrupted(p, rng),
        "wrong": lambda p: family.render_wrong(p, rng),
    }[cfg.condition]
    return [record(p, render(p), cfg.condition) for p in problems]
