"""Decontamination: word n-gram overlap between training queries and evaluation questions.

Reads an SFT file and a list of benchmark question strings; writes a JSON report of overlapping rows
and, on request, the file without them. Text is lower-cased and split into alphanumeric words (LaTeX
commands count as words), so spacing, punctuation and dollar signs do not hide a copied question.
A question shorter than n words contributes its whole word sequence as one n-gram, so short
questions can still be matched (only as a whole).
"""

from __future__ import annotations

import json
import logging
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from sftlab.data.records import Record, RecordWriter, iter_records
from sftlab.errors import UserError
from sftlab.io import atomic_write_json

log = logging.getLogger(__name__)

_WORD = re.compile(r"\\?[a-z0-9]+")


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def ngrams(tokens: list[str], n: int) -> set[tuple[str, ...]]:
    if len(tokens) < n:
        return {tuple(tokens)} if tokens else set()
    return {tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)}


@dataclass(frozen=True)
class Match:
    question: int  # index into the benchmark questions
    shared: int  # n-grams of the training query found in that question
    share: float  # shared / the query's n-grams


class NgramIndex:
    """Benchmark questions indexed by their n-grams."""

    def __init__(self, questions: list[str], n: int = 13) -> None:
        self.n = n
        self.questions = questions
        self._index: dict[tuple[str, ...], set[int]] = defaultdict(set)
        self._short: dict[tuple[str, ...], set[int]] = defaultdict(set)  # questions shorter than n words
        for i, q in enumerate(questions):
            tokens = words(q)
            target = self._short if len(tokens) < n else self._index
            for gram in ngrams(tokens, n):
                target[gram].add(i)
        self._short_lengths = sorted({len(g) for g in self._short})

    def matches(self, text: str, min_share: float = 0.0) -> list[Match]:
        """Questions sharing at least one n-gram with `text` (and at least `min_share` of its n-grams)."""
        tokens = words(text)
        grams = ngrams(tokens, self.n)
        hits: dict[int, int] = defaultdict(int)
        for gram in grams:
            for q in self._index.get(gram, ()):
                hits[q] += 1
        for length in self._short_lengths:
            for gram in ngrams(tokens, length):
                for q in self._short.get(gram, ()):
                    hits[q] += 1
        total = max(len(grams), 1)
        found = [Match(q, n, round(min(n / total, 1.0), 4)) for q, n in hits.items()]
        return sorted((m for m in found if m.share >= min_share), key=lambda m: (-m.shared, m.question))


def load_questions(files: list[Path] = (), benchmarks: list[str] = ()) -> list[str]:
    """Evaluation questions from JSONL files (`question` or `problem` field) and registered benchmarks.

    A benchmark is `name` or `name:path` (the path its loader reads); its items' `question` texts are used.
    """
    questions: list[str] = []
    for path in files:
        for line_no, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                raise UserError(f"{path}:{line_no}: malformed JSON: {e.msg}") from None
            text = row.get("question", row.get("problem")) if isinstance(row, dict) else None
            if not isinstance(text, str):
                raise UserError(f"{path}:{line_no}: question: expected a `question` or `problem` text field")
            questions.append(text)
    if benchmarks:
        from sftlab.evaluate.benchmarks import get

        for spec in benchmarks:
            name, _, source = spec.partition(":")
            questions += [item.question for item in get(name)(source or None).load()]
    return questions


def query_text(record: Record) -> str:
    return "\n".join(m["content"] for m in record.messages if m["role"] == "user")


def decontaminate(path: Path, questions: list[str], report_path: Path, out: Path | None = None, n: int = 13,
                  min_share: float = 0.0, format: str = "auto") -> dict:
    """Report training rows overlapping any question; with `out`, also write the rows that do not."""
    index = NgramIndex(questions, n)
    flagged: list[dict] = []
    rows = 0

    def clean():
        nonlocal rows
        for i, record in enumerate(iter_records(path, format), 1):
            rows += 1
            found = index.matches(query_text(record), min_share)
            if found:
                flagged.append({"row": i, "id": record.id, "matches": [
                    {"question": m.question, "shared_ngrams": m.shared, "share": m.share,
                     "text": questions[m.question][:200]} for m in found[:5]]})
            else:
                yield record

    if out is None:
        for _ in clean():
            pass
        kept = None
    else:
        with RecordWriter(out) as writer:
            for record in clean():
                writer.write(record)
        kept = writer.count
    report = {"source": str(path), "n": n, "min_share": min_share, "questions": len(questions), "rows": rows,
              "overlapping": len(flagged), "kept": kept, "written": str(out) if out else None, "rows_flagged": flagged}
    atomic_write_json(report_path, report)
    log.info("%s: %d of %d rows overlap the %d questions", path, len(flagged), rows, len(questions))
    return report
