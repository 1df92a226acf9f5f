"""IFEval: prompts with verifiable instructions, checked on the text after the reasoning block.

The score is prompt-level strict accuracy (every instruction followed); `detail` holds the per-instruction
strict and loose verdicts and the prompt-level loose one, so all four published numbers can be computed.
Reads the published `input_data.jsonl` (key, prompt, instruction_id_list, kwargs) of google/IFEval.
"""

from __future__ import annotations

import inspect
from typing import ClassVar

from sftlab.evaluate.benchmarks import register
from sftlab.evaluate.benchmarks.base import Benchmark, Item, Sampling, Scored
from sftlab.evaluate.benchmarks.loading import Record, read_records, require_items, resolve
from sftlab.evaluate.benchmarks.math500 import REASONING_SAMPLING
from sftlab.evaluate.ifeval_checks import CHECKERS, follows


def _instructions(r: Record) -> list[tuple[str, dict]]:
    ids = r.get("instruction_id_list", list)
    kwargs = r.get("kwargs", list)
    if len(ids) != len(kwargs):
        raise r.fail("kwargs", f"expected one entry per instruction ({len(ids)}), got {len(kwargs)}")
    pairs = []
    for k, (instruction, args) in enumerate(zip(ids, kwargs)):
        if instruction not in CHECKERS:
            raise r.fail(f"instruction_id_list[{k}]", f"unknown instruction {instruction!r}")
        given = {name for name, value in (args or {}).items() if value is not None}
        needed = set(list(inspect.signature(CHECKERS[instruction]).parameters)[1:])
        if given != needed:
            raise r.fail(f"kwargs[{k}]", f"{instruction} expects {sorted(needed)}, got {sorted(given)}")
        pairs.append((instruction, {n: v for n, v in (args or {}).items() if v is not None}))
    return pairs


@register("ifeval")
class IFEval(Benchmark):
    domain = "general"
    sampling: ClassVar[Sampling] = Sampling(
        REASONING_SAMPLING.temperature, REASONING_SAMPLING.top_p, REASONING_SAMPLING.max_new_tokens, samples=1
    )
    source = (
        "jsonl with key, prompt, instruction_id_list, kwargs (input_data.jsonl of google/IFEval, "
        "https://huggingface.co/datasets/google/IFEval)"
    )

    def load(self) -> list[Item]:
        src = resolve(self.path, ("input_data.jsonl", "ifeval.jsonl"), "google/IFEval", self.name)
        records = require_items(read_records(src, split="train"), src)
        return [Item(str(r.get("key", (int, str))), r.get("prompt"), _instructions(r)) for r in records]

    def prompt(self, item: Item) -> list[dict]:
        return [{"role": "user", "content": item.question}]

    def score(self, item: Item, answer_text: str) -> Scored:
        strict = [follows(i, kw, answer_text) for i, kw in item.reference]
        loose = [follows(i, kw, answer_text, loose=True) for i, kw in item.reference]
        detail = {
            "instructions": [i for i, _ in item.reference],
            "strict": strict,
            "loose": loose,
            "prompt_loose": all(loose),
        }
        return Scored(float(all(strict)), None, detail)
