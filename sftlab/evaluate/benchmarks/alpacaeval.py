"""AlpacaEval: a judge compares each response with the published reference output; the mean is the win rate
(ties count half). The model's reply is shown first or second by a per-item seeded coin, against position bias.

Reads the published `alpaca_eval.json` (a list of instruction, output, generator, dataset) of
tatsu-lab/alpaca_eval. Needs an LLM judge (`eval.judge` hf or openai).
"""

from __future__ import annotations

import hashlib
from typing import ClassVar

from sftlab.errors import UserError
from sftlab.evaluate.benchmarks import register
from sftlab.evaluate.benchmarks.base import Item, Sampling, Scored
from sftlab.evaluate.benchmarks.choices import item_rng
from sftlab.evaluate.benchmarks.hexphi import JudgedBenchmark
from sftlab.evaluate.benchmarks.loading import read_records, require_items, resolve
from sftlab.evaluate.benchmarks.math500 import REASONING_SAMPLING
from sftlab.evaluate.judge import RefusalJudge


@register("alpacaeval")
class AlpacaEval(JudgedBenchmark):
    domain = "general"
    sampling: ClassVar[Sampling] = Sampling(
        REASONING_SAMPLING.temperature, REASONING_SAMPLING.top_p, REASONING_SAMPLING.max_new_tokens, samples=1
    )
    source = (
        "json list of instruction, output, generator (alpaca_eval.json of tatsu-lab/alpaca_eval, "
        "https://huggingface.co/datasets/tatsu-lab/alpaca_eval); needs eval.judge hf or openai"
    )

    def load(self) -> list[Item]:
        if isinstance(self.judge, RefusalJudge):  # fail before generating, not after
            raise UserError("alpacaeval needs an LLM judge: set eval.judge to hf or openai")
        src = resolve(self.path, ("alpaca_eval.json",), "tatsu-lab/alpaca_eval", self.name)
        items = []
        for r in require_items(read_records(src, split="eval", config="alpaca_eval"), src):
            instruction = r.get("instruction")
            ident = "alpaca-" + hashlib.sha256(instruction.encode()).hexdigest()[:10]
            items.append(Item(ident, instruction, r.get("output"), {"generator": r.get("generator", default="")}))
        return items

    def prompt(self, item: Item) -> list[dict]:
        return [{"role": "user", "content": item.question}]

    def score(self, item: Item, answer_text: str) -> Scored:
        model_first = item_rng(self.seed, item.id).random() < 0.5
        verdict = self.judge.compare(item.question, answer_text, item.reference, model_first)
        return Scored(verdict.score, verdict.rating, {"model_first": model_first, **verdict.detail()})
