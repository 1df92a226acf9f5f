"""HaluEval: judge whether a given answer, response or summary is hallucinated (Yes/No); accuracy.

Reads the published files of https://github.com/RUCAIBox/HaluEval (JSON lines under a .json name):
`qa_data.json` (knowledge, question, right_answer, hallucinated_answer), `dialogue_data.json`
(knowledge, dialogue_history, right_response, hallucinated_response) or `summarization_data.json`
(document, right_summary, hallucinated_summary). Each record shows its right or its hallucinated
text, chosen per record from (seed, task, line), so about half the gold labels are Yes.
"""

from __future__ import annotations

import re
from typing import ClassVar

from sftlab.data.answers import last_boxed
from sftlab.evaluate.benchmarks import register
from sftlab.evaluate.benchmarks.base import Benchmark, Item, Sampling, Scored
from sftlab.evaluate.benchmarks.choices import item_rng
from sftlab.evaluate.benchmarks.loading import Record, read_records, require_items, resolve
from sftlab.evaluate.benchmarks.math500 import REASONING_SAMPLING

# task -> (context fields shown as "Label: value", the judged thing's name, right field, hallucinated field)
_TASKS = {
    "qa": ((("knowledge", "Knowledge"), ("question", "Question")), "answer", "right_answer", "hallucinated_answer"),
    "dialogue": (
        (("knowledge", "Knowledge"), ("dialogue_history", "Dialogue")),
        "response",
        "right_response",
        "hallucinated_response",
    ),
    "summarization": ((("document", "Document"),), "summary", "right_summary", "hallucinated_summary"),
}


def yes_no(text: str) -> str | None:
    """'Yes' or 'No' from the last box, else from the last standalone yes/no word."""
    boxed = last_boxed(text)
    for candidate in ([boxed] if boxed else []) + [text]:
        words = re.findall(r"\b(yes|no)\b", re.sub(r"\\text\{([^}]*)\}", r"\1", candidate), re.IGNORECASE)
        if words:
            return words[-1].capitalize()
    return None


def _task_of(r: Record) -> str:
    for task, (_, _, right, _) in _TASKS.items():
        if right in r.data:
            return task
    raise r.fail("right_answer", "missing (expected the fields of qa, dialogue or summarization data)")


@register("halueval")
class HaluEval(Benchmark):
    domain = "general"
    sampling: ClassVar[Sampling] = Sampling(
        REASONING_SAMPLING.temperature, REASONING_SAMPLING.top_p, REASONING_SAMPLING.max_new_tokens, samples=1
    )
    source = (
        "JSON lines qa_data.json / dialogue_data.json / summarization_data.json from "
        "https://github.com/RUCAIBox/HaluEval (data/)"
    )

    def load(self) -> list[Item]:
        names = ("qa_data.json", "dialogue_data.json", "summarization_data.json")
        src = resolve(self.path, names, "pminervini/HaluEval", self.name)
        records = require_items(read_records(src, split="data", config="qa"), src)
        return [self._item(r, i) for i, r in enumerate(records)]

    def _item(self, r: Record, index: int) -> Item:
        task = _task_of(r)
        context_fields, thing, right, hallucinated = _TASKS[task]
        ident = f"{task}-{index}"
        shown_hallucinated = item_rng(self.seed, ident).random() < 0.5
        shown = r.get(hallucinated if shown_hallucinated else right)
        context = "\n".join(f"{label}: {r.get(field).strip()}" for field, label in context_fields)
        question = (
            f"Decide whether the {thing} below contains hallucinated content: claims that the material does not "
            f"support or that are false.\n\n{context}\n{thing.capitalize()}: {shown.strip()}\n\n"
            f"Is the {thing} hallucinated? Put Yes or No within \\boxed{{}}."
        )
        return Item(ident, question, "Yes" if shown_hallucinated else "No", {"task": task})

    def prompt(self, item: Item) -> list[dict]:
        return [{"role": "user", "content": item.question}]

    def score(self, item: Item, answer_text: str) -> Scored:
        verdict = yes_no(answer_text)
        return Scored(float(verdict == item.reference), verdict)
