"""AIME 2024 and AIME 2025: integer answers 0-999 from the last `\\boxed{}`, avg@k over sampled responses.

Reads the published jsonl (HuggingFaceH4/aime_2024: id, problem, answer; opencompass/AIME2025 and
MathArena/aime_2025: problem_idx or id, problem or question, answer) or those hub ids.
"""

from __future__ import annotations

import re
from typing import ClassVar

from sftlab.data.answers import last_boxed, math_equal
from sftlab.evaluate.benchmarks import register
from sftlab.evaluate.benchmarks.base import Benchmark, Item, Sampling, Scored
from sftlab.evaluate.benchmarks.loading import Record, read_records, require_items, resolve
from sftlab.evaluate.benchmarks.math500 import REASONING_SAMPLING, math_prompt


def as_integer(text: str | None) -> int | None:
    r"""The integer an answer states: `033`, `\text{33}`, `33.0`, `$33$`; None when it states none."""
    if text is None:
        return None
    cleaned = re.sub(r"\\text\{([^}]*)\}|\\mathrm\{([^}]*)\}", r"\1\2", text)
    cleaned = cleaned.replace("$", "").replace(",", "").replace("\\!", "").strip().rstrip(".")
    m = re.fullmatch(r"([+-]?\d+)(?:\.0*)?", cleaned)
    return int(m.group(1)) if m else None


class _Aime(Benchmark):
    domain = "in-domain"
    sampling: ClassVar[Sampling] = Sampling(
        temperature=REASONING_SAMPLING.temperature,
        top_p=REASONING_SAMPLING.top_p,
        max_new_tokens=REASONING_SAMPLING.max_new_tokens,
        samples=16,  # 30 problems per year: many samples per problem keep avg@k from being noise
    )
    hub_id: ClassVar[str]
    files: ClassVar[tuple[str, ...]]

    def load(self) -> list[Item]:
        src = resolve(self.path, self.files, self.hub_id, self.name)
        return [self._item(r, i) for i, r in enumerate(require_items(read_records(src, split="train"), src))]

    def _item(self, r: Record, index: int) -> Item:
        ident = r.get("id", (int, str), default=None)
        ident = r.get("problem_idx", (int, str), default=index) if ident is None else ident
        problem = r.get("problem", default=None) or r.get("question")
        answer = as_integer(str(r.get("answer", (int, str))))
        if answer is None:
            raise r.fail("answer", f"expected an integer, got {r.data['answer']!r}")
        return Item(f"{self.name}-{ident}", problem, answer, {"url": r.get("url", default="")})

    def prompt(self, item: Item) -> list[dict]:
        return math_prompt(item.question)

    def score(self, item: Item, answer_text: str) -> Scored:
        predicted = last_boxed(answer_text)
        value = as_integer(predicted)
        # A non-integer form of the right value (`\frac{66}{2}`) still counts: math-verify decides.
        correct = value == item.reference if value is not None else math_equal(predicted, str(item.reference))
        return Scored(float(correct), predicted)


@register("aime24")
class Aime2024(_Aime):
    hub_id = "HuggingFaceH4/aime_2024"
    files = ("aime_2024.jsonl", "aime24.jsonl", "train.jsonl")
    source = (
        "jsonl with id, problem, answer (HuggingFaceH4/aime_2024, "
        "https://huggingface.co/datasets/HuggingFaceH4/aime_2024)"
    )


@register("aime25")
class Aime2025(_Aime):
    hub_id = "MathArena/aime_2025"
    files = ("aime_2025.jsonl", "aime25.jsonl", "train.jsonl")
    source = (
        "jsonl with problem_idx or id, problem, answer (MathArena/aime_2025, "
        "https://huggingface.co/datasets/MathArena/aime_2025)"
    )
