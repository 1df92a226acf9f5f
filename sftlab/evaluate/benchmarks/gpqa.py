"""GPQA-Diamond: 4-option science questions, options in a seeded per-item order, the letter from the last box.

Reads the published `gpqa_diamond.csv` (Question, Correct Answer, Incorrect Answer 1-3, Record ID,
High-level domain) or the hub id Idavidrein/gpqa (config gpqa_diamond).
"""

from __future__ import annotations

from typing import ClassVar

from sftlab.evaluate.benchmarks import register
from sftlab.evaluate.benchmarks.base import Benchmark, Item, Sampling, Scored
from sftlab.evaluate.benchmarks.choices import LETTERS, render, score_choice, stable_permutation
from sftlab.evaluate.benchmarks.loading import Record, read_records, require_items, resolve
from sftlab.evaluate.benchmarks.math500 import REASONING_SAMPLING

_ANSWER_COLUMNS = ("Correct Answer", "Incorrect Answer 1", "Incorrect Answer 2", "Incorrect Answer 3")


@register("gpqa_diamond")
class GPQADiamond(Benchmark):
    domain = "ood"
    sampling: ClassVar[Sampling] = REASONING_SAMPLING
    source = (
        "csv with Question, Correct Answer, Incorrect Answer 1-3, Record ID (gpqa_diamond.csv from "
        "https://github.com/idavidrein/gpqa, hub Idavidrein/gpqa config gpqa_diamond)"
    )

    def load(self) -> list[Item]:
        src = resolve(self.path, ("gpqa_diamond.csv",), "Idavidrein/gpqa", self.name)
        records = require_items(read_records(src, split="train", config="gpqa_diamond"), src)
        return [self._item(r) for r in records]

    def _item(self, r: Record) -> Item:
        record_id = r.get("Record ID").strip()
        answers = [r.get(column).strip() for column in _ANSWER_COLUMNS]
        # options[k] = answers[order[k]]; the correct answer is answers[0]
        order = stable_permutation(4, self.seed, record_id)
        options = [answers[k] for k in order]
        correct = LETTERS[order.index(0)]
        meta = {"options": options, "domain": r.get("High-level domain", default="")}
        return Item(record_id, r.get("Question").strip(), correct, meta)

    def prompt(self, item: Item) -> list[dict]:
        return [{"role": "user", "content": render(item.question, item.meta["options"])}]

    def score(self, item: Item, answer_text: str) -> Scored:
        return score_choice(answer_text, item.reference, 4)
