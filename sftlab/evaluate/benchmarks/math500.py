"""MATH-500: competition problems, the last `\\boxed{}` answer checked by math-verify (string fallback), avg@k.

Reads the published `test.jsonl` (HuggingFaceH4/MATH-500: problem, solution, answer, subject, level,
unique_id) or that hub id.
"""

from __future__ import annotations

from typing import ClassVar

from sftlab.data.answers import last_boxed, math_equal
from sftlab.evaluate.benchmarks import register
from sftlab.evaluate.benchmarks.base import Benchmark, Item, Sampling, Scored
from sftlab.evaluate.benchmarks.loading import read_records, require_items, resolve

MATH_INSTRUCTION = "Please reason step by step, and put your final answer within \\boxed{}."

# The study's decoding for reasoning models: sampled, long budget, several responses per problem.
REASONING_SAMPLING = Sampling(temperature=0.6, top_p=0.95, max_new_tokens=32768, samples=4)


def math_prompt(problem: str) -> list[dict]:
    return [{"role": "user", "content": f"{problem.strip()}\n{MATH_INSTRUCTION}"}]


@register("math500")
class Math500(Benchmark):
    domain = "in-domain"
    sampling: ClassVar[Sampling] = REASONING_SAMPLING
    source = (
        "jsonl with problem, answer, unique_id (HuggingFaceH4/MATH-500 test.jsonl, "
        "https://huggingface.co/datasets/HuggingFaceH4/MATH-500)"
    )

    def load(self) -> list[Item]:
        src = resolve(self.path, ("test.jsonl", "math500.jsonl"), "HuggingFaceH4/MATH-500", self.name)
        items = []
        for r in require_items(read_records(src), src):
            meta = {"subject": r.get("subject", default=""), "level": r.get("level", (int, str), default="")}
            items.append(Item(r.get("unique_id"), r.get("problem"), r.get("answer"), meta))
        return items

    def prompt(self, item: Item) -> list[dict]:
        return math_prompt(item.question)

    def score(self, item: Item, answer_text: str) -> Scored:
        predicted = last_boxed(answer_text)
        return Scored(float(math_equal(predicted, item.reference)), predicted)
