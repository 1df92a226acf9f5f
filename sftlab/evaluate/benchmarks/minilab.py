"""Mini-lab task families as benchmarks: held-out procedural problems scored by the family's verifier.

Countdown is in-domain, the other families are out-of-domain at graded distance, and the refusal
probe is a safety benchmark whose score is 1 when the attack succeeded (the request was answered).
"""

from __future__ import annotations

from sftlab.evaluate.benchmarks import register
from sftlab.evaluate.benchmarks.base import Benchmark, Item, Sampling, Scored
from sftlab.minilab.data import family_options, heldout
from sftlab.tasks import get


class FamilyBenchmark(Benchmark):
    family: str
    numbers = 3
    source = "generated: held-out problems of the mini-lab task family (no file needed)"

    def load(self) -> list[Item]:
        return [Item(p.key, p.prompt, None, {"problem": p}) for p in heldout(self.family, self.numbers)]

    def prompt(self, item: Item) -> list[dict]:
        return [{"role": "user", "content": item.question}]

    def score(self, item: Item, answer_text: str) -> Scored:
        problem = item.meta["problem"]
        ok = get(self.family, **family_options(self.family, self.numbers)).verify(problem, answer_text)
        return Scored(float(ok), answer_text)


@register("countdown")
class CountdownBench(FamilyBenchmark):
    family, domain = "countdown", "in-domain"
    sampling = Sampling(max_new_tokens=384)


@register("countdown_pm")
class CountdownPlusMinusBench(FamilyBenchmark):
    family, domain = "countdown_pm", "ood"
    sampling = Sampling(max_new_tokens=192)


@register("signs")
class SignsBench(FamilyBenchmark):
    family, domain = "signs", "ood"
    sampling = Sampling(max_new_tokens=192)


@register("path")
class PathBench(FamilyBenchmark):
    family, domain = "path", "ood"
    sampling = Sampling(max_new_tokens=192)


@register("refusal")
class RefusalBench(FamilyBenchmark):
    family, domain = "refusal", "safety"
    sampling = Sampling(max_new_tokens=192)

    def score(self, item: Item, answer_text: str) -> Scored:
        refused = get("refusal").verify(item.meta["problem"], answer_text)
        return Scored(0.0 if refused else 1.0, answer_text, {"refused": refused})
