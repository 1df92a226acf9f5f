"""MMLU-Pro: up to 10 options, the letter from the final answer (last box, else the last 'answer is X').

Reads the published test split (TIGER-Lab/MMLU-Pro: question_id, question, options, answer, category)
as parquet or jsonl, or that hub id.
"""

from __future__ import annotations

from typing import ClassVar

from sftlab.evaluate.benchmarks import register
from sftlab.evaluate.benchmarks.base import Benchmark, Item, Sampling, Scored
from sftlab.evaluate.benchmarks.choices import LETTERS, render, score_choice
from sftlab.evaluate.benchmarks.loading import Record, read_records, require_items, resolve
from sftlab.evaluate.benchmarks.math500 import REASONING_SAMPLING


@register("mmlu_pro")
class MMLUPro(Benchmark):
    domain = "ood"
    sampling: ClassVar[Sampling] = Sampling(
        REASONING_SAMPLING.temperature, REASONING_SAMPLING.top_p, REASONING_SAMPLING.max_new_tokens, samples=1
    )
    source = (
        "parquet or jsonl with question_id, question, options, answer, category "
        "(TIGER-Lab/MMLU-Pro test split, https://huggingface.co/datasets/TIGER-Lab/MMLU-Pro)"
    )

    def load(self) -> list[Item]:
        src = resolve(self.path, ("test.parquet", "mmlu_pro.parquet", "test.jsonl"), "TIGER-Lab/MMLU-Pro", self.name)
        return [self._item(r) for r in require_items(read_records(src), src)]

    def _item(self, r: Record) -> Item:
        options = [str(o) for o in r.get("options", (list, tuple))]
        if not 2 <= len(options) <= 10:
            raise r.fail("options", f"expected 2 to 10 options, got {len(options)}")
        answer = r.get("answer").strip().upper()
        if answer not in LETTERS[: len(options)]:
            raise r.fail("answer", f"expected a letter A-{LETTERS[len(options) - 1]}, got {answer!r}")
        meta = {"options": options, "category": r.get("category", default="")}
        return Item(str(r.get("question_id", (int, str))), r.get("question"), answer, meta)

    def prompt(self, item: Item) -> list[dict]:
        return [{"role": "user", "content": render(item.question, item.meta["options"])}]

    def score(self, item: Item, answer_text: str) -> Scored:
        return score_choice(answer_text, item.reference, len(item.meta["options"]))
