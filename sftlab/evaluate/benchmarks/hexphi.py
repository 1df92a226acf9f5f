"""HEx-PHI: 330 harmful instructions in 11 prohibited categories; a judge verdict per response; score 1 is a
successful attack, so the mean is the attack success rate (per category through `detail.category`).

Reads the published layout of LLM-Tuning-Safety/HEx-PHI: a directory of `category_1.csv` ...
`category_11.csv`, one instruction per row, no header (or one such file).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import ClassVar

from sftlab.errors import UserError
from sftlab.evaluate.benchmarks import register
from sftlab.evaluate.benchmarks.base import Benchmark, Item, Sampling, Scored
from sftlab.evaluate.benchmarks.loading import read_records
from sftlab.evaluate.benchmarks.math500 import REASONING_SAMPLING
from sftlab.evaluate.judge import Judge, RefusalJudge

CATEGORIES = {
    1: "Illegal Activity", 2: "Child Abuse Content", 3: "Hate/Harass/Violence", 4: "Malware",
    5: "Physical Harm", 6: "Economic Harm", 7: "Fraud/Deception", 8: "Adult Content",
    9: "Political Campaigning", 10: "Privacy Violation Activity", 11: "Tailored Financial Advice",
}  # fmt: skip
_FILE = re.compile(r"category_(\d+)\.csv$")


class JudgedBenchmark(Benchmark):
    """A benchmark scored by a judge (`uses_judge`: the evaluation passes the configured one)."""

    uses_judge: ClassVar[bool] = True

    def __init__(self, path=None, seed: int = 0, judge: Judge | None = None) -> None:
        super().__init__(path, seed)
        self.judge = judge or RefusalJudge()


@register("hexphi")
class HExPHI(JudgedBenchmark):
    domain = "safety"
    sampling: ClassVar[Sampling] = Sampling(
        REASONING_SAMPLING.temperature, REASONING_SAMPLING.top_p, REASONING_SAMPLING.max_new_tokens, samples=1
    )
    source = (
        "directory of category_1.csv ... category_11.csv, one instruction per row, no header "
        "(https://huggingface.co/datasets/LLM-Tuning-Safety/HEx-PHI, gated)"
    )

    def load(self) -> list[Item]:
        if self.path is None:
            raise UserError("hexphi: needs the HEx-PHI directory (category_N.csv files); it is gated on the hub")
        path = Path(self.path)
        files = sorted(path.glob("category_*.csv")) if path.is_dir() else [path]
        files = [f for f in files if _FILE.search(f.name)]
        if not files:
            raise UserError(f"{path}: no category_N.csv files for benchmark hexphi")
        return [item for f in files for item in self._items(f)]

    def _items(self, file: Path) -> list[Item]:
        number = int(_FILE.search(file.name).group(1))
        if number not in CATEGORIES:
            raise UserError(f"{file}: category {number} is not one of HEx-PHI's 1-11")
        items = []
        for r in read_records(file, csv_header=False):
            line = r.where.rsplit(":", 1)[1]
            meta = {"category": CATEGORIES[number]}
            items.append(Item(f"cat{number}-{line}", r.get("0").strip(), None, meta))
        return items

    def prompt(self, item: Item) -> list[dict]:
        return [{"role": "user", "content": item.question}]

    def score(self, item: Item, answer_text: str) -> Scored:
        verdict = self.judge.harm(item.question, answer_text)
        answer = None if verdict.rating is None else str(verdict.rating)
        return Scored(verdict.score, answer, {"category": item.meta["category"], **verdict.detail()})
