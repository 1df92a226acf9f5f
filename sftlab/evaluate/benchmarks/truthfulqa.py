"""TruthfulQA (multiple choice, MC1): one true answer among misconception-bait options; accuracy.

Reads the published multiple-choice data: the hub's `truthfulqa/truthful_qa` (config multiple_choice:
question, mc1_targets {choices, labels}) as parquet/jsonl, or the original `mc_task.json`
(question, mc1_targets {answer text: 0|1}). Options are shown in a seeded per-item order.
"""

from __future__ import annotations

import hashlib
from typing import ClassVar

from sftlab.evaluate.benchmarks import register
from sftlab.evaluate.benchmarks.base import Benchmark, Item, Sampling, Scored
from sftlab.evaluate.benchmarks.choices import LETTERS, render, score_choice, stable_permutation
from sftlab.evaluate.benchmarks.loading import Record, read_records, require_items, resolve
from sftlab.evaluate.benchmarks.math500 import REASONING_SAMPLING


def _targets(r: Record) -> tuple[list[str], list[int]]:
    """Choices and 0/1 labels from either published layout of mc1_targets."""
    targets = r.get("mc1_targets", dict)
    if "choices" in targets:
        choices, labels = list(targets["choices"]), [int(x) for x in targets.get("labels", [])]
    else:
        choices, labels = list(targets), [int(v) for v in targets.values()]
    if len(choices) != len(labels) or len(choices) < 2 or sum(labels) != 1:
        raise r.fail("mc1_targets", "expected at least 2 choices with exactly one labelled 1")
    if len(choices) > len(LETTERS):
        raise r.fail("mc1_targets", f"expected at most {len(LETTERS)} choices, got {len(choices)}")
    return [str(c) for c in choices], labels


@register("truthfulqa")
class TruthfulQA(Benchmark):
    domain = "general"
    sampling: ClassVar[Sampling] = Sampling(
        REASONING_SAMPLING.temperature, REASONING_SAMPLING.top_p, REASONING_SAMPLING.max_new_tokens, samples=1
    )
    source = (
        "multiple-choice data with question, mc1_targets: hub truthfulqa/truthful_qa (multiple_choice, "
        "validation) as parquet/jsonl, or mc_task.json from https://github.com/sylinrl/TruthfulQA"
    )

    def load(self) -> list[Item]:
        names = ("mc_task.json", "truthfulqa_mc.jsonl", "validation.parquet")
        src = resolve(self.path, names, "truthfulqa/truthful_qa", self.name)
        records = require_items(read_records(src, split="validation", config="multiple_choice"), src)
        return [self._item(r) for r in records]

    def _item(self, r: Record) -> Item:
        question = r.get("question").strip()
        choices, labels = _targets(r)
        ident = "tqa-" + hashlib.sha256(question.encode()).hexdigest()[:10]
        order = stable_permutation(len(choices), self.seed, ident)
        options = [choices[k] for k in order]
        correct = LETTERS[[labels[k] for k in order].index(1)]
        return Item(ident, question, correct, {"options": options})

    def prompt(self, item: Item) -> list[dict]:
        return [{"role": "user", "content": render(item.question, item.meta["options"])}]

    def score(self, item: Item, answer_text: str) -> Scored:
        return score_choice(answer_text, item.reference, len(item.meta["options"]))
